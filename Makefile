# windowbot. `make test` is what CI runs (.ci/run): it first makes sure Redis, PostgreSQL and a
# CJK font are there, then runs every test with the race detector, then fuzzes every fuzz target
# for a few seconds (fuzz-ci), then plays a one-minute chaos run (chaos-ci).

GO      ?= go
BIN     ?= dist/windowbot
ARGS    ?=
# Static, reproducible binary: the SQLite driver is pure Go, so no cgo is needed.
BUILD_FLAGS := -trimpath -ldflags "-s -w"

.PHONY: test test-replica test-redisha run build lint bench tidy services fuzz fuzz-ci chaos chaos-ci mutate mutate-models mutate-jobs mutate-flows

# The seeds of every fuzz target run with the other tests; fuzz-ci then fuzzes each target for
# FUZZTIME_CI (docs/testing.md, "Fuzzing").
test: services
	$(GO) test -race -timeout 30m ./...
	$(MAKE) test-replica
	$(MAKE) test-redisha
	$(MAKE) fuzz-ci
	$(MAKE) chaos-ci

# Failover and the read replica against a private PostgreSQL primary and standby on loopback
# (scripts/pg-pair.sh; docs/operations.md, "Past one machine").
test-replica:
	$(GO) test -race -count=1 -tags replica -run 'Replica|Failover' ./models/

# The state store's contract on a private Redis Cluster and through Sentinel, and a Sentinel
# failover (scripts/redis-ha.sh; docs/operations.md, "Past one machine").
test-redisha:
	$(GO) test -race -count=1 -tags redisha -run 'OnClusterAndSentinel|SentinelFailover' ./flows/state/

services:
	bash scripts/ensure-services.sh

# Fuzzing (docs/testing.md): every fuzz target for FUZZTIME each, one after another; the inputs
# that reached new code are kept in the package's testdata/fuzz (FUZZKEEP=0 keeps none).
# FUZZRUN picks targets by name, FUZZPKGS packages.
FUZZTIME    ?= 30s
FUZZTIME_CI ?= 5s
fuzz: services
	FUZZTIME=$(FUZZTIME) CI=true bash scripts/fuzz.sh

fuzz-ci:
	FUZZTIME=$(FUZZTIME_CI) FUZZKEEP=0 CI=true bash scripts/fuzz.sh

# The chaos run (docs/testing.md, "Chaos run"): two replicas on a private PostgreSQL and Redis
# under mixed load while a replica, Redis and PostgreSQL are killed and restarted and a job runs
# on both replicas; afterwards nothing is lost or doubled. CHAOSTIME is how long the load runs.
CHAOSTIME    ?= 10m
CHAOSTIME_CI ?= 60s
# chaos-ci also drives dialogs through a Redis Sentinel failover (TestSentinelFailover); the
# four-replica measurement (TestFourReplicas, docs/benchmarks.md) runs by hand.
chaos: services
	$(GO) test -count=1 -tags chaos -timeout 60m -run 'TestChaos|TestSentinelFailover' -v ./internal/chaos/ -chaos.duration $(CHAOSTIME)

chaos-ci:
	$(GO) test -count=1 -tags chaos -timeout 15m -run 'TestChaos|TestSentinelFailover' ./internal/chaos/ -chaos.duration $(CHAOSTIME_CI) -sentinel.duration 30s

run:
	$(GO) run . $(ARGS)

build:
	CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS) -o $(BIN) .

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: services
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

tidy:
	$(GO) mod tidy

# Mutation testing (docs/testing.md): gremlins changes one operator at a time in the files that
# hold the rules and runs the tests named below; a change no test notices is a LIVED mutant. Slow
# (the tests run once per mutant) and so not part of CI. The tool runs at a pinned version
# without entering go.mod. MUTATE_WORKERS mutants are tested at once.
GREMLINS       ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_WORKERS ?= 1
MUTATE_OUT     ?= dist/mutate
# models: the ticket rules, the calendar, scoring and ranking, the masking of numbers.
MUTATE_MODELS_SKIP  := ^(bans|binding|citizens|importcsv|jobqueries|jobruns|migrate|models|outbox|recipients|reports|seed|store|ticketstore)\.go$$
MUTATE_MODELS_TESTS := ^(TestCalendar.*|TestTicketStateMachine|TestTicketScope|TestTicketOutcomes|TestTicketRulesDeadlinesPerCategory|TestTicketRulesLocation|TestTicketRuleOutcomes|TestTicketRuleRefusalsLeaveTicket|TestTicketCycleResolveReopenResolve|TestTransitionErrorText|TestMask.*|TestRates|TestBayesianScore|TestServiceStars|TestServiceStarPreview|TestRankBayesian|TestRankTies|TestTalliesAndRank|TestLevels|TestCatalogueLookups|TestTicketStatePredicates)$$
# jobs: occurrences and claims (scheduler.go), the ticket jobs and their dedupe keys (tickets.go).
MUTATE_JOBS_SKIP  := ^(report/.*|(catalog|dispatcher|doc|limit|marks|metrics|push|render|report|stars)\.go)$$
MUTATE_JOBS_TESTS := ^(TestOccurrences|TestList|TestExecuteOnce|TestCronChain|TestExecuteReleasesRedisClaimWhenTheDatabaseFails|TestSchedulerKeepsItsOptions|TestForcedRunAndTheRedisClaim|TestOccurrenceIsTheFirstFiring|TestPercent|TestDeadlineReminders|TestOverdueEscalation|TestDailyDigest|TestRerating|TestReratingDefaultsAndOverdueFirst|TestRerateCycleInvitesAndRemindsAgain)$$
# flows: the rating and complaint rules (rate.go, complain.go, the window's choice in place.go).
MUTATE_FLOWS_SKIP  := ^(state/.*|(appeal|citizen|desk|engine|gather|records|rerate|sessions|track)\.go)$$

mutate: mutate-models mutate-jobs mutate-flows

mutate-models: services
	@mkdir -p $(MUTATE_OUT)
	CI=true GOFLAGS='-run=$(MUTATE_MODELS_TESTS)' $(GREMLINS) unleash --workers $(MUTATE_WORKERS) \
		-E '$(MUTATE_MODELS_SKIP)' -o $(MUTATE_OUT)/models.json ./models

mutate-flows: services
	@mkdir -p $(MUTATE_OUT)
	CI=true $(GREMLINS) unleash --workers $(MUTATE_WORKERS) \
		-E '$(MUTATE_FLOWS_SKIP)' -o $(MUTATE_OUT)/flows.json ./flows

mutate-jobs: services
	@mkdir -p $(MUTATE_OUT)
	CI=true GOFLAGS='-run=$(MUTATE_JOBS_TESTS)' $(GREMLINS) unleash --workers $(MUTATE_WORKERS) \
		-E '$(MUTATE_JOBS_SKIP)' -o $(MUTATE_OUT)/jobs.json ./jobs
