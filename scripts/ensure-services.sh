#!/usr/bin/env bash
# ensure-services.sh makes sure the test suite has what it needs: a real Redis on 127.0.0.1:6379,
# a real PostgreSQL on 127.0.0.1:5432 where role postgres connects without a password and
# database "test" exists, a CJK font (fonts-wqy-microhei) for the poster tests, Chromium with
# the Noto CJK fonts (chromium, fonts-noto-cjk) for the browser tests of the board and the web chat,
# and axe-core (the accessibility checker those tests run in the page, from npm, its tarball checked
# against the pinned integrity) in internal/testenv/testdata/axe/.
#
# It installs missing Debian packages (apt-get), starts stopped servers and fixes access, and is
# silent when everything is already in place, so `make test` can run it every time.
#
# When WINDOWBOT_TEST_REDIS or WINDOWBOT_TEST_POSTGRES is set, that server is someone else's:
# the script only checks that it answers.
set -euo pipefail

REDIS_PORT=6379
PG_PORT=5432
FONT_FILE=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
NOTO_CJK_DIR=/usr/share/fonts/opentype/noto
export PGCONNECT_TIMEOUT=5

log() { echo "ensure-services: $*" >&2; }
die() {
	echo "ensure-services: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Root needs no sudo; a user needs it to install packages and manage the cluster.
SUDO=()
if [ "$(id -u)" -ne 0 ] && have sudo; then
	SUDO=(sudo)
fi

# as_postgres runs a command as the postgres OS user, which peer authentication lets into the
# cluster over the local socket even when TCP access is still locked.
as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" -eq 0 ] && have runuser; then
		runuser -u postgres -- "$@"
	elif have sudo; then
		sudo -u postgres "$@"
	else
		die "cannot run '$*' as the postgres user (need root or sudo)"
	fi
}

APT_UPDATED=0
apt_install() {
	have apt-get || die "missing $*; install them (Debian/Ubuntu package names) or point WINDOWBOT_TEST_REDIS / WINDOWBOT_TEST_POSTGRES at running servers"
	local out
	out=$(mktemp)
	log "installing $*"
	if [ "$APT_UPDATED" -eq 0 ]; then
		if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$out" 2>&1; then
			cat "$out" >&2
			rm -f "$out"
			die "apt-get update failed"
		fi
		APT_UPDATED=1
	fi
	if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$out" 2>&1; then
		cat "$out" >&2
		rm -f "$out"
		die "apt-get install $* failed"
	fi
	rm -f "$out"
}

# wait_for runs its arguments until they succeed, for up to $1 seconds.
wait_for() {
	local secs=$1
	shift
	local i
	for ((i = 0; i < secs * 5; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# url_reachable checks that the host:port of a URL accepts TCP connections, for when no client
# is installed to check more.
url_reachable() {
	local re='^[a-z]+://([^@/]*@)?([^:/?]+)(:([0-9]+))?'
	[[ $1 =~ $re ]] || return 1
	(exec 3<>"/dev/tcp/${BASH_REMATCH[2]}/${BASH_REMATCH[4]:-$2}") 2>/dev/null
}

pg_server_installed() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }

# ---- packages: everything missing in one apt-get run -------------------------------------------

missing=()
if [ -z "${WINDOWBOT_TEST_REDIS:-}" ] && { ! have redis-server || ! have redis-cli; }; then
	missing+=(redis-server)
fi
if [ -z "${WINDOWBOT_TEST_POSTGRES:-}" ] &&
	{ ! have psql || ! have pg_ctlcluster || ! have pg_isready || ! pg_server_installed; }; then
	missing+=(postgresql)
fi
if [ ! -f "$FONT_FILE" ]; then
	missing+=(fonts-wqy-microhei)
fi
# The browser tests look for chromium (internal/testenv.Browser); WINDOWBOT_TEST_CHROME names another.
if [ -z "${WINDOWBOT_TEST_CHROME:-}" ] && ! have chromium; then
	missing+=(chromium)
fi
if ! compgen -G "$NOTO_CJK_DIR/NotoSansCJK-*" >/dev/null; then
	missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	apt_install "${missing[@]}"
fi

# ---- Redis ---------------------------------------------------------------------------------------

redis_ping() { [ "$(redis-cli "$@" ping 2>/dev/null)" = PONG ]; }

if [ -n "${WINDOWBOT_TEST_REDIS:-}" ]; then
	if have redis-cli; then
		redis_ping -u "$WINDOWBOT_TEST_REDIS" || die "Redis at WINDOWBOT_TEST_REDIS does not answer PING"
	else
		url_reachable "$WINDOWBOT_TEST_REDIS" 6379 || die "Redis at WINDOWBOT_TEST_REDIS is not reachable"
	fi
elif ! redis_ping -h 127.0.0.1 -p "$REDIS_PORT"; then
	log "starting redis-server on 127.0.0.1:$REDIS_PORT"
	# "-::1": bind IPv6 loopback too when the machine has it. No persistence: test data only.
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null ||
		die "redis-server did not start"
	wait_for 10 redis_ping -h 127.0.0.1 -p "$REDIS_PORT" ||
		die "Redis on 127.0.0.1:$REDIS_PORT does not answer PING after start"
fi

# ---- PostgreSQL ----------------------------------------------------------------------------------

pg_tcp() { psql -w -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atq "$@"; }

if [ -n "${WINDOWBOT_TEST_POSTGRES:-}" ]; then
	if have psql; then
		psql -w -X -Atq "$WINDOWBOT_TEST_POSTGRES" -c 'select 1' >/dev/null ||
			die "PostgreSQL at WINDOWBOT_TEST_POSTGRES does not accept connections"
	else
		url_reachable "$WINDOWBOT_TEST_POSTGRES" 5432 || die "PostgreSQL at WINDOWBOT_TEST_POSTGRES is not reachable"
	fi
	exit 0
fi

if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
	# The cluster on our port, else the newest installed server version's "main", created if needed.
	read -r pg_ver pg_name < <(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }') || true
	if [ -z "${pg_ver:-}" ]; then
		pg_ver=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
		[ -n "$pg_ver" ] || pg_ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n1)
		[ -n "$pg_ver" ] || die "no PostgreSQL server version found under /usr/lib/postgresql"
		pg_name=main
		if [ ! -d "/etc/postgresql/$pg_ver/$pg_name" ]; then
			log "creating PostgreSQL $pg_ver cluster $pg_name on port $PG_PORT"
			"${SUDO[@]}" pg_createcluster --port "$PG_PORT" "$pg_ver" "$pg_name" >/dev/null ||
				die "pg_createcluster $pg_ver $pg_name failed"
		fi
	fi
	log "starting PostgreSQL $pg_ver/$pg_name"
	if ! "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$pg_ver" "$pg_name" start; then
		# "already running" (still starting up) is fine; anything else shows in the wait below.
		log "pg_ctlcluster start returned an error; waiting for the server anyway"
	fi
	wait_for 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT" ||
		die "PostgreSQL on 127.0.0.1:$PG_PORT is not ready after start (see /var/log/postgresql/)"
fi

if ! pg_tcp -d postgres -c 'select 1' >/dev/null 2>&1; then
	# A fresh Debian cluster wants a password over TCP: trust role postgres from loopback only.
	hba=$(as_postgres psql -X -Atq -p "$PG_PORT" -c 'show hba_file') ||
		die "cannot reach PostgreSQL as the postgres OS user to read pg_hba.conf"
	marker="# added by windowbot scripts/ensure-services.sh for tests"
	if ! "${SUDO[@]}" grep -qxF "$marker" "$hba"; then
		log "allowing role postgres over TCP from loopback without a password ($hba)"
		tmp=$(mktemp)
		{
			echo "$marker"
			echo "host all postgres 127.0.0.1/32 trust"
			echo "host all postgres ::1/128 trust"
			"${SUDO[@]}" cat "$hba"
		} >"$tmp"
		"${SUDO[@]}" cp "$tmp" "$hba"
		rm -f "$tmp"
	fi
	as_postgres psql -X -Atq -p "$PG_PORT" -c 'select pg_reload_conf()' >/dev/null || die "reloading PostgreSQL failed"
	wait_for 5 pg_tcp -d postgres -c 'select 1' ||
		die "role postgres still cannot connect to 127.0.0.1:$PG_PORT; check $hba"
fi

if [ "$(pg_tcp -d postgres -c "select 1 from pg_database where datname = 'test'")" != 1 ]; then
	log "creating database test"
	pg_tcp -d postgres -c 'create database test' >/dev/null || die "creating database test failed"
fi

# axe-core, the accessibility engine the browser tests inject (internal/testenv.Axe): one pinned
# version from the npm registry, its tarball checked against the registry's sha512 integrity.
AXE_VERSION=4.14.1
AXE_SHA512=FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_DIR="$(cd "$(dirname "$0")/.." && pwd)/internal/testenv/testdata/axe"
if [ "$(cat "$AXE_DIR/VERSION" 2>/dev/null)" != "$AXE_VERSION" ] || [ ! -s "$AXE_DIR/axe.min.js" ]; then
	have npm || apt_install npm
	log "fetching axe-core $AXE_VERSION from npm"
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null) || die "npm pack axe-core@$AXE_VERSION failed"
	got=$(openssl dgst -sha512 -binary "$tmp/axe-core-$AXE_VERSION.tgz" | base64 -w0)
	[ "$got" = "$AXE_SHA512" ] || die "axe-core $AXE_VERSION: tarball integrity $got, want $AXE_SHA512"
	mkdir -p "$AXE_DIR"
	tar -xzf "$tmp/axe-core-$AXE_VERSION.tgz" -C "$tmp" package/axe.min.js package/LICENSE
	cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$AXE_DIR/"
	echo "$AXE_VERSION" >"$AXE_DIR/VERSION"
	rm -rf "$tmp"
fi
