# SPDX-License-Identifier: BSD-3-Clause
# strongSwan charon for the IKE interop tests (test/ike/ike_probe.sh,
# test/ike/ike_sm.sh, test/integration/test_ike.sh), sourced. One charon per
# state directory DIR: DIR/strongswan.conf, its log DIR/charon.log, its
# vici socket DIR/charon.vici and its own /run (DIR/run, bind-mounted in
# its namespace: the pid file path is fixed). kernel-libipsec (ESP in UDP,
# in userspace, as in shared/anchors/strongswan/rig.sh).
#
# Callers set CHARON (the daemon binary) and CHARON_DIR (DIR) before
# charon_start / charon_sw.

# charon_conf [-a] [-r TIMEOUT/TRIES] DIR [LOG_LINE...]: writes
# DIR/strongswan.conf (and DIR/run). -a appends to charon.log (kept over
# restarts) with time stamps; -r sets IKE retransmission (charon's default
# otherwise); each LOG_LINE is one more line of the filelog section, e.g.
# "cfg = 2".
charon_conf() {
	local OPTIND opt append=no tfmt= rt= dir line extra=
	while getopts ar: opt; do
		case $opt in
		a) append=yes tfmt=$'\n            time_format = %H:%M:%S' ;;
		r) rt=$'\n    retransmit_timeout = '"${OPTARG%/*}"$'\n    retransmit_tries = '"${OPTARG#*/}" ;;
		*) return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	dir=$1; shift
	for line in "$@"; do extra+=$'\n            '"$line"; done
	mkdir -p "$dir/run"
	cat > "$dir/strongswan.conf" <<EOC
charon {
    # kernel-libipsec before kernel-netlink: the first to register the
    # kernel-ipsec interface wins (userspace ESP, a TUN device ipsec0)
    load_modular = no
    load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 kdf pem pkcs1 x509 kernel-libipsec kernel-netlink socket-default vici
    port = 500
    port_nat_t = 4500
    install_routes = yes
    routing_table = 220
    routing_table_prio = 220$rt
    filelog {
        main {
            path = $dir/charon.log
            append = $append
            flush_line = yes$tfmt
            default = 1
            ike = 2$extra
        }
    }
    syslog { daemon { default = -1 } }
    plugins {
        vici { socket = unix://$dir/charon.vici }
        kernel-netlink { roam_events = no }
    }
}
EOC
}

# charon_sw COMMAND [ARGS...]: swanctl COMMAND against this charon's vici
# socket (bounded by CHARON_SW_TIMEOUT seconds when set)
charon_sw() {
	local c=$1; shift
	if [ -n "${CHARON_SW_TIMEOUT:-}" ]; then
		timeout "$CHARON_SW_TIMEOUT" swanctl "$c" --uri "unix://$CHARON_DIR/charon.vici" "$@"
	else
		swanctl "$c" --uri "unix://$CHARON_DIR/charon.vici" "$@"
	fi
}

# charon_argv: the command (for ip netns exec or pv_bg) that runs charon
# with CHARON_DIR's strongswan.conf and /run
charon_argv() {
	CHARON_ARGV=(sh -c 'mount --bind "$1/run" /run && STRONGSWAN_CONF="$1/strongswan.conf" exec "$2"'
		_ "$CHARON_DIR" "$CHARON")
}

# charon_wait: until charon answers on its vici socket (10 s); 1 if never
charon_wait() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$CHARON_DIR/charon.vici" ] && charon_sw --stats > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# charon_start NS LOG: charon in namespace NS (stdout/stderr appended to
# LOG) in the background, CHARON_PID; waits for its vici socket.
charon_start() {
	rm -f "$CHARON_DIR/charon.vici" "$CHARON_DIR/run/charon.pid"
	charon_argv
	ip netns exec "$1" "${CHARON_ARGV[@]}" >> "$2" 2>&1 < /dev/null &
	CHARON_PID=$!
	charon_wait
}

# charon_stop: SIGTERM to CHARON_PID, SIGKILL after 3 s
charon_stop() {
	local p=${CHARON_PID:-} i
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p"
	for ((i = 0; i < 30; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
}

# charon_load FILE: charon's connections and secrets become FILE's (swanctl's
# output in CHARON_DIR/load.log)
charon_load() {
	charon_sw --load-all --noprompt --file "$1" > "$CHARON_DIR/load.log" 2>&1
}

# charon_psk_conn NAME ADDRS IDS PROPOSALS TS PSK: a swanctl.conf (stdout)
# with the one connection NAME of a responder-side test peer: ADDRS, IDS
# and TS are "LOCAL REMOTE" pairs (addresses, identities, traffic
# selectors), IKE PROPOSALS, PSK authentication both ways; child "net" in
# tunnel mode, ESP in UDP, any of the three AEADs without ESN.
charon_psk_conn() {
	local name=$1 psk=$6
	local la=${2% *} ra=${2#* } li=${3% *} ri=${3#* } lt=${5% *} rt=${5#* }
	cat <<EOC
connections {
    $name {
        version = 2
        local_addrs = $la
        remote_addrs = $ra
        encap = yes
        mobike = no
        fragmentation = no
        dpd_delay = 0
        proposals = $4
        local { auth = psk
                id = $li }
        remote { auth = psk
                 id = $ri }
        children {
            net {
                mode = tunnel
                local_ts = $lt
                remote_ts = $rt
                esp_proposals = aes128gcm16-aes256gcm16-chacha20poly1305-noesn
            }
        }
    }
}
secrets {
    ike-$name {
        id-1 = $ri
        id-2 = $li
        secret = "$psk"
    }
}
EOC
}
