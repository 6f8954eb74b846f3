#!/usr/bin/env bash
# redis-ha.sh starts or stops private Redis servers on loopback ports for the tests of Redis
# Cluster and Sentinel (go test -tags redisha ./flows/state/ ...; docs/operations.md, "Past one
# machine"). It never touches the server on 6379.
#
#   scripts/redis-ha.sh cluster DIR PORT1 PORT2 PORT3          three masters, slots spread
#   scripts/redis-ha.sh sentinel DIR MASTER REPLICA S1 S2 S3   a master, its replica, three
#                                                             sentinels watching "windowbot"
#   scripts/redis-ha.sh kill DIR PORT                          stop one server at once
#   scripts/redis-ha.sh stop DIR                               stop every server under DIR
set -euo pipefail

die() {
	echo "redis-ha: ERROR: $*" >&2
	exit 1
}
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
	die "redis-server and redis-cli are needed (apt-get install redis-server)"

cmd=${1:-}
dir=${2:?usage: $0 cluster|sentinel|kill|stop DIR ...}
mkdir -p "$dir"

# server PORT [ARGS...] starts one redis-server in the background, its files under DIR/PORT.
server() {
	local port=$1
	shift
	mkdir -p "$dir/$port"
	redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir/$port" \
		--pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" --save "" --appendonly no "$@"
}

wait_ping() {
	local port=$1
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "redis on $port does not answer: $(tail -3 "$dir/$port/redis.log" 2>/dev/null)"
}

case "$cmd" in
cluster)
	ports=("${@:3}")
	[ ${#ports[@]} -ge 3 ] || die "cluster needs three ports"
	for p in "${ports[@]}"; do
		server "$p" --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 2000
	done
	for p in "${ports[@]}"; do wait_ping "$p"; done
	nodes=()
	for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
	redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
		die "cluster create failed: $(tail -5 "$dir/create.log")"
	for _ in $(seq 100); do
		redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && exit 0
		sleep 0.1
	done
	die "the cluster did not come up"
	;;
sentinel)
	master=${3:?master port}
	replica=${4:?replica port}
	server "$master"
	server "$replica" --replicaof 127.0.0.1 "$master"
	wait_ping "$master"
	wait_ping "$replica"
	for s in "${@:5}"; do
		mkdir -p "$dir/$s"
		cat >"$dir/$s/sentinel.conf" <<CONF
port $s
bind 127.0.0.1
daemonize yes
pidfile $dir/$s/redis.pid
logfile $dir/$s/redis.log
dir $dir/$s
sentinel monitor windowbot 127.0.0.1 $master 2
sentinel down-after-milliseconds windowbot 1000
sentinel failover-timeout windowbot 5000
sentinel parallel-syncs windowbot 1
CONF
		redis-server "$dir/$s/sentinel.conf" --sentinel
	done
	for s in "${@:5}"; do wait_ping "$s"; done
	;;
kill)
	port=${3:?port}
	[ -f "$dir/$port/redis.pid" ] && kill -9 "$(cat "$dir/$port/redis.pid")" 2>/dev/null || true
	;;
stop)
	for pid in "$dir"/*/redis.pid; do
		[ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null || true
	done
	;;
*)
	die "usage: $0 cluster|sentinel|kill|stop DIR ..."
	;;
esac
