#!/usr/bin/env bash
# pg-pair.sh starts or stops a private PostgreSQL primary and a streaming hot standby on loopback
# ports, for the tests of failover and read replicas (go test -tags replica ./models/; see
# docs/operations.md, "Past one machine"). It never touches the server on 5432.
#
#   scripts/pg-pair.sh start DIR PRIMARY_PORT STANDBY_PORT
#   scripts/pg-pair.sh stop DIR
#   scripts/pg-pair.sh kill DIR primary|standby     stop one server at once (a crash)
#   scripts/pg-pair.sh restart DIR primary|standby  start a killed one again
#   scripts/pg-pair.sh promote DIR                  make the standby the primary
#
# DIR is created and must be new or empty; both clusters trust local connections (tests only).
set -euo pipefail

die() {
	echo "pg-pair: ERROR: $*" >&2
	exit 1
}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_basebackup" ] ||
	die "PostgreSQL server programs not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"

# The servers refuse to run as root: run them as the postgres user when we are root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || die "usage: $0 start DIR PRIMARY_PORT STANDBY_PORT | stop DIR"

case "$cmd" in
start)
	p1=${3:?primary port}
	p2=${4:?standby port}
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	as_pg "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -5 "$dir/initdb.log")"
	cat >>"$dir/primary/postgresql.conf" <<CONF
port = $p1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
synchronous_commit = on
CONF
	echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
	as_pg "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 30 start >/dev/null ||
		die "primary did not start: $(tail -5 "$dir/primary.log")"
	as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$p1" -U postgres -D "$dir/standby" -R -X stream -c fast ||
		die "pg_basebackup failed"
	cat >>"$dir/standby/postgresql.auto.conf" <<CONF
port = $p2
CONF
	as_pg "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 30 start >/dev/null ||
		die "standby did not start: $(tail -5 "$dir/standby.log")"
	;;
stop)
	for c in standby primary; do
		if [ -f "$dir/$c/postmaster.pid" ]; then
			as_pg "$bin/pg_ctl" -D "$dir/$c" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	;;
kill)
	as_pg "$bin/pg_ctl" -D "$dir/${3:?primary or standby}" -m immediate -w stop >/dev/null
	;;
restart)
	as_pg "$bin/pg_ctl" -D "$dir/${3:?primary or standby}" -l "$dir/$3.log" -w -t 30 start >/dev/null ||
		die "$3 did not start: $(tail -5 "$dir/$3.log")"
	;;
promote)
	as_pg "$bin/pg_ctl" -D "$dir/standby" -w -t 30 promote >/dev/null
	;;
*)
	die "usage: $0 start DIR PRIMARY_PORT STANDBY_PORT | stop DIR"
	;;
esac
