#!/bin/sh
# udhcpc's event script in the dom0 test initramfs: applies the lease udhcpc obtained
# (busybox passes it in the environment: interface, ip, subnet, router).
case "$1" in
    deconfig)
        ip -4 addr flush dev "$interface"
        ;;
    bound|renew)
        ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
        for gateway in $router; do
            ip route replace default via "$gateway" dev "$interface"
            break
        done
        ;;
esac
exit 0
