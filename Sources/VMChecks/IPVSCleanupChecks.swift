import ProxyTesting

/// `proxyd --cleanup` against real IPVS and a real dummy interface, in the VM's own root namespace (which no other
/// check uses): proxyd's virtual servers — those on proxyd-ipvs0's addresses — and the interface go; someone
/// else's virtual servers and interfaces stay.
enum IPVSCleanupChecks {
    static let all = [cleanup]

    static let cleanup = VMCheck("--cleanup removes the virtual servers on proxyd's interface and the interface, nothing else") { check in
        let proxyd = try LabBinaries.path(of: "proxyd")
        try await VMShell.run("""
            set -e
            modprobe ip_vs
            modprobe dummy
            ip link add proxyd-ipvs0 type dummy
            ip addr add 10.96.0.10/32 dev proxyd-ipvs0
            ip addr add fd00:10:96::10/128 dev proxyd-ipvs0 nodad
            ip link add other0 type dummy
            ip addr add 192.0.2.1/32 dev other0
            ipvsadm -A -t 10.96.0.10:80 -s rr
            ipvsadm -a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m
            ipvsadm -A -u 10.96.0.10:53 -s rr
            ipvsadm -A -t [fd00:10:96::10]:80 -s rr
            ipvsadm -A -t 192.0.2.1:80 -s rr
            ipvsadm -A -f 7 -s rr
            """).requireSuccess()
        let before = Ipvsadm.lines(try await VMShell.run("ipvsadm -Ln").requireSuccess().stdout)
        check.expect(before.contains("TCP 10.96.0.10:80 rr"), "\(before)")

        let first = try await VMShell.run("\(proxyd) --cleanup 2>&1")
        check.expect(first.succeeded, "\(first)")
        // Sorted by address.
        check.expect(first.stdout.contains(
            "IPVS: removed virtual server TCP 10.96.0.10:80, virtual server UDP 10.96.0.10:53, virtual server TCP [fd00:10:96::10]:80"), first.stdout)
        check.expect(first.stdout.contains("interface proxyd-ipvs0: removed proxyd-ipvs0"), first.stdout)

        let after = Ipvsadm.lines(try await VMShell.run("ipvsadm -Ln").requireSuccess().stdout)
        check.expect(!after.contains { $0.contains("10.96.0.10") || $0.contains("fd00:10:96::10") }, "\(after)")
        check.expect(after.contains("TCP 192.0.2.1:80 rr"), "someone else's virtual server is gone: \(after)")
        check.expect(after.contains("FWM 7 rr"), "someone else's firewall-mark service is gone: \(after)")
        let links = try await VMShell.run("ip -br link").requireSuccess().stdout
        check.expect(!links.contains("proxyd-ipvs0") && links.contains("other0"), links)

        let second = try await VMShell.run("\(proxyd) --cleanup 2>&1")
        check.expect(second.succeeded, "\(second)")
        check.expect(second.stdout.contains("IPVS: nothing of proxyd's"), second.stdout)
        check.expect(second.stdout.contains("interface proxyd-ipvs0: nothing of proxyd's"), second.stdout)
    }
}
