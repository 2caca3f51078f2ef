# Sourced by .ci/run: Debian's mosquitto for the lifeline tests. Each MQTT test starts a broker of its own
# with the configuration `cityrenew serve` writes (no anonymous login; password and ACL files made from
# that test's devices: tests/lifeline/conftest.py, cityrenew/lifeline/broker.py) — devices of parallel
# tests share codes, so they cannot share one password file. The brokers log their connections into
# CITYRENEW_TEST_MQTT_LOGS; `mosquitto_proof` prints how many test clients they served and fails when none did.

start_mosquitto() {
  if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  fi
  MQTT_DIR=$(mktemp -d /tmp/cityrenew-mqtt.XXXXXX)
  echo "MQTT broker: $(/usr/sbin/mosquitto -h 2>/dev/null | head -1), one per lifeline MQTT test on a free loopback port, logs in $MQTT_DIR"
  export CITYRENEW_TEST_MQTT_LOGS=$MQTT_DIR
}

mosquitto_proof() {
  local clients
  clients=$(cat "$MQTT_DIR"/*.log 2>/dev/null | grep -c "New client connected from 127.0.0.1.* as test-" || true)
  echo "CI: MQTT brokers on 127.0.0.1 served $clients test client connections."
  rm -rf "$MQTT_DIR"
  [ "$clients" -gt 0 ] || { echo "CI: the lifeline tests never connected to the broker — failing."; return 1; }
}
