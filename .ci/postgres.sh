# Sourced by .ci/run and bench/with-postgres: a throwaway PostgreSQL + PostGIS server from Debian's
# packages on a free loopback port, in a temporary data directory removed when the shell exits.
# After `start_postgres`, PG_URL is postgres://cityrenew:cityrenew@127.0.0.1:<port>/cityrenew; the role
# may create databases, and PostGIS is in template1, so every database it creates has it.

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local pgver
  pgver=$(basename "$(dirname "$PGBIN")")
  # PostGIS for that server version (GeoDjango's postgis backend)
  if [ ! -e "/usr/share/postgresql/$pgver/extension/postgis.control" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-$pgver-postgis-3" >/dev/null
  fi
  PGDATA=$(mktemp -d /tmp/cityrenew-pg.XXXXXX)
  # a free loopback port, so a server left running elsewhere on the machine cannot collide
  PGPORT=${CITYRENEW_PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  chown postgres:postgres "$PGDATA"
  su postgres -c "$PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $PGDATA/server.log -w start" >/dev/null || { cat "$PGDATA/server.log"; return 1; }
  trap 'su postgres -c "$PGBIN/pg_ctl -D $PGDATA -m fast stop" >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
  local psql="psql -h 127.0.0.1 -p $PGPORT -U postgres"
  $psql -qc "CREATE ROLE cityrenew LOGIN CREATEDB PASSWORD 'cityrenew';"
  $psql -qc "CREATE DATABASE cityrenew OWNER cityrenew;"
  $psql -d template1 -qc "CREATE EXTENSION postgis;"
  $psql -d cityrenew -qc "CREATE EXTENSION IF NOT EXISTS postgis;"
  $psql -tAc "SELECT version();"
  $psql -d cityrenew -tAc "SELECT 'PostGIS ' || postgis_full_version();"
  PG_URL="postgres://cityrenew:cityrenew@127.0.0.1:$PGPORT/cityrenew"
}
