# Sourced by .ci/run: an MQTT broker (Debian's mosquitto) on a free loopback port for the lifeline tests,
# which use it through CITYRENEW_TEST_MQTT_PORT (without it they start a broker of their own).
# `mosquitto_proof` prints how many test clients it served and fails when none did.

start_mosquitto() {
  if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  fi
  MQTT_DIR=$(mktemp -d /tmp/cityrenew-mqtt.XXXXXX)
  MQTT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$MQTT_DIR/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest file $MQTT_DIR/mosquitto.log
log_type notice
log_type information
connection_messages true
CONF
  chmod 755 "$MQTT_DIR"; touch "$MQTT_DIR/mosquitto.log"; chmod 666 "$MQTT_DIR/mosquitto.log"
  # at most two hours, even if this shell dies without stopping it
  timeout 7200 /usr/sbin/mosquitto -c "$MQTT_DIR/mosquitto.conf" &
  MQTT_PID=$!
  for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $MQTT_PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  echo "MQTT broker: $(/usr/sbin/mosquitto -h 2>/dev/null | head -1) on 127.0.0.1:$MQTT_PORT"
  export CITYRENEW_TEST_MQTT_PORT=$MQTT_PORT
}

mosquitto_proof() {
  local clients
  clients=$(grep -c "New client connected from 127.0.0.1.* as test-" "$MQTT_DIR/mosquitto.log" || true)
  echo "CI: MQTT broker on 127.0.0.1:$MQTT_PORT served $clients test client connections."
  kill "$MQTT_PID" 2>/dev/null || true
  rm -rf "$MQTT_DIR"
  [ "$clients" -gt 0 ] || { echo "CI: the lifeline tests never connected to the broker — failing."; return 1; }
}
