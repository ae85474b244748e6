import Backends
import Foundation
import Testing
import Yams

@testable import ProxydConfiguration

/// Reading KubeProxyConfiguration files: every field, strictly, with errors naming file, line and field.
@Suite("configuration file")
struct ConfigurationFileTests {
    /// Every field of v1alpha1 (and proxyd's serviceProxyName), none at its default.
    static let everyField = """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        featureGates:
          SomeGate: true
          OtherGate: false
        clientConnection:
          kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
          acceptContentTypes: application/json
          contentType: application/vnd.kubernetes.protobuf
          qps: 7.5
          burst: 20
        logging:
          format: text
          flushFrequency: 10s
          verbosity: 3
          vmodule: []
          options:
            text:
              infoBufferSize: "0"
        hostnameOverride: Node-A
        bindAddress: 192.168.49.2
        healthzBindAddress: 0.0.0.0:20256
        metricsBindAddress: 127.0.0.1:20249
        bindAddressHardFail: true
        enableProfiling: true
        showHiddenMetricsForVersion: "1.30"
        mode: iptables
        iptables:
          masqueradeBit: 12
          masqueradeAll: true
          localhostNodePorts: false
          snatNodeInternalIP: true
          syncPeriod: 45s
          minSyncPeriod: 2s
        ipvs:
          syncPeriod: 40s
          minSyncPeriod: 3s
          scheduler: wlc
          excludeCIDRs: [10.0.0.0/8, "fd00::/8"]
          strictARP: true
          tcpTimeout: 15m
          tcpFinTimeout: 30s
          udpTimeout: 5m
        nftables:
          masqueradeBit: 14
          masqueradeAll: true
          syncPeriod: 1m
          minSyncPeriod: 500ms
        winkernel:
          networkName: net
          sourceVip: 10.0.0.1
          enableDSR: true
          rootHnsEndpointName: root
          forwardHealthCheckVip: true
        detectLocalMode: BridgeInterface
        detectLocal:
          bridgeInterface: cni0
          interfaceNamePrefix: veth
        clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
        nodePortAddresses: [192.168.0.0/16, primary]
        oomScoreAdj: -998
        conntrack:
          maxPerCore: 65536
          min: 262144
          tcpEstablishedTimeout: 12h
          tcpCloseWaitTimeout: 30m
          tcpBeLiberal: true
          udpTimeout: 30s
          udpStreamTimeout: 2m
        configSyncPeriod: 10m
        portRange: ""
        windowsRunAsService: true
        serviceProxyName: proxyd
        """

    @Test func everyFieldIsRead() throws {
        let c = try ConfigurationFile.parse(Self.everyField, file: "config.yaml").configuration
        #expect(c.featureGates == ["SomeGate": true, "OtherGate": false])
        #expect(c.clientConnection == .init(
            kubeconfig: "/var/lib/kube-proxy/kubeconfig.conf", acceptContentTypes: "application/json",
            contentType: "application/vnd.kubernetes.protobuf", qps: 7.5, burst: 20))
        #expect(c.logging == .init(format: "text", flushFrequency: GoDuration(.seconds(10)), verbosity: 3))
        #expect(c.hostnameOverride == "Node-A")
        #expect(c.bindAddress == "192.168.49.2")
        #expect(c.healthzBindAddress == "0.0.0.0:20256")
        #expect(c.metricsBindAddress == "127.0.0.1:20249")
        #expect(c.bindAddressHardFail == true)
        #expect(c.enableProfiling == true)
        #expect(c.showHiddenMetricsForVersion == "1.30")
        #expect(c.mode == "iptables")
        #expect(c.iptables == .init(
            masqueradeBit: 12, masqueradeAll: true, localhostNodePorts: false, snatNodeInternalIP: true,
            syncPeriod: GoDuration(.seconds(45)), minSyncPeriod: GoDuration(.seconds(2))))
        #expect(c.ipvs == .init(
            syncPeriod: GoDuration(.seconds(40)), minSyncPeriod: GoDuration(.seconds(3)), scheduler: "wlc",
            excludeCIDRs: ["10.0.0.0/8", "fd00::/8"], strictARP: true, tcpTimeout: GoDuration(.seconds(900)),
            tcpFinTimeout: GoDuration(.seconds(30)), udpTimeout: GoDuration(.seconds(300))))
        #expect(c.nftables == .init(
            masqueradeBit: 14, masqueradeAll: true, syncPeriod: GoDuration(.seconds(60)),
            minSyncPeriod: GoDuration(.milliseconds(500))))
        #expect(c.winkernel == .init(
            networkName: "net", sourceVip: "10.0.0.1", enableDSR: true, rootHnsEndpointName: "root",
            forwardHealthCheckVip: true))
        #expect(c.detectLocalMode == "BridgeInterface")
        #expect(c.detectLocal == .init(bridgeInterface: "cni0", interfaceNamePrefix: "veth"))
        #expect(c.clusterCIDR == "10.244.0.0/16,fd00:10:244::/56")
        #expect(c.nodePortAddresses == ["192.168.0.0/16", "primary"])
        #expect(c.oomScoreAdj == -998)
        #expect(c.conntrack == .init(
            maxPerCore: 65536, min: 262144, tcpEstablishedTimeout: GoDuration(.seconds(43200)),
            tcpCloseWaitTimeout: GoDuration(.seconds(1800)), tcpBeLiberal: true, udpTimeout: GoDuration(.seconds(30)),
            udpStreamTimeout: GoDuration(.seconds(120))))
        #expect(c.configSyncPeriod == GoDuration(.seconds(600)))
        #expect(c.portRange == "")
        #expect(c.windowsRunAsService == true)
        #expect(c.serviceProxyName == "proxyd")
    }

    @Test func theSameFileAsJSONReadsTheSame() throws {
        let json = """
            {
            \t"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            \t"kind": "KubeProxyConfiguration",
            \t"mode": "nftables",
            \t"clusterCIDR": "10.244.0.0/16",
            \t"clientConnection": {"qps": 7.5, "burst": 20, "kubeconfig": "/k"},
            \t"conntrack": {"maxPerCore": 0, "tcpEstablishedTimeout": "12h", "tcpBeLiberal": true},
            \t"nodePortAddresses": ["primary"],
            \t"featureGates": {"SomeGate": true}
            }
            """
        let yaml = """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            mode: nftables
            clusterCIDR: 10.244.0.0/16
            clientConnection: {qps: 7.5, burst: 20, kubeconfig: /k}
            conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 12h, tcpBeLiberal: true}
            nodePortAddresses: [primary]
            featureGates: {SomeGate: true}
            """
        let fromJSON = try ConfigurationFile.parse(json, file: "config.json").configuration
        let fromYAML = try ConfigurationFile.parse(yaml, file: "config.yaml").configuration
        #expect(fromJSON == fromYAML)
        #expect(fromJSON.conntrack.maxPerCore == 0)
    }

    @Test func kubeadmStyleZeroValuesAndNullsMeanTheDefaults() throws {
        // What kubeadm writes into the kube-proxy ConfigMap: every field, most of them zero or null.
        let text = """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            bindAddress: 0.0.0.0
            clientConnection:
              acceptContentTypes: ""
              burst: 0
              contentType: ""
              kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
              qps: 0
            clusterCIDR: 10.244.0.0/16
            configSyncPeriod: 0s
            conntrack:
              maxPerCore: null
              min: null
              tcpBeLiberal: false
              tcpCloseWaitTimeout: null
              tcpEstablishedTimeout: null
              udpStreamTimeout: 0s
              udpTimeout: 0s
            detectLocal:
              bridgeInterface: ""
              interfaceNamePrefix: ""
            detectLocalMode: ""
            enableProfiling: false
            healthzBindAddress: ""
            hostnameOverride: ""
            iptables:
              localhostNodePorts: null
              masqueradeAll: false
              masqueradeBit: null
              minSyncPeriod: 0s
              syncPeriod: 0s
            ipvs:
              excludeCIDRs: null
              minSyncPeriod: 0s
              scheduler: ""
              strictARP: false
              syncPeriod: 0s
              tcpFinTimeout: 0s
              tcpTimeout: 0s
              udpTimeout: 0s
            logging:
              flushFrequency: 0
              options:
                json:
                  infoBufferSize: "0"
                text:
                  infoBufferSize: "0"
              verbosity: 0
            metricsBindAddress: ""
            mode: ""
            nftables:
              masqueradeAll: false
              masqueradeBit: null
              minSyncPeriod: 0s
              syncPeriod: 0s
            nodePortAddresses: null
            oomScoreAdj: null
            portRange: ""
            showHiddenMetricsForVersion: ""
            winkernel:
              enableDSR: false
              forwardHealthCheckVip: false
              networkName: ""
              rootHnsEndpointName: ""
              sourceVip: ""
            """
        let file = try ConfigurationFile.parse(text, file: "kubeadm.yaml")
        let effective = file.configuration.withDefaults()
        #expect(effective == KubeProxyConfiguration().withDefaults().with {
            $0.clientConnection.kubeconfig = "/var/lib/kube-proxy/kubeconfig.conf"
            $0.clusterCIDR = "10.244.0.0/16"
        })
        #expect(file.configuration.ignoredSettings().isEmpty)
    }

    @Test(arguments: [
        ("conntrack:\n  maxPerCoer: 1\n", "config.yaml:4: conntrack.maxPerCoer: unknown field; did you mean maxPerCore?"),
        ("syncPeriod: 30s\n", "config.yaml:3: syncPeriod: unknown field"),
        ("iptables:\n  minSyncPeriod: 1s\n  bogus: true\n", "config.yaml:5: iptables.bogus: unknown field"),
        ("logging:\n  verbosty: 2\n", "config.yaml:4: logging.verbosty: unknown field; did you mean verbosity?"),
        ("detectLocal:\n  bridgeinterface: cni0\n", "config.yaml:4: detectLocal.bridgeinterface: unknown field; did you mean bridgeInterface?"),
        ("mode: nftables\nmode: iptables\n", "config.yaml:3: mode: field given twice"),
    ])
    func unknownFieldsAreErrorsNamingTheirPath(body: String, expected: String) {
        let text = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.parse(text, file: "config.yaml") }
        #expect(Self.error(text)?.description == expected)
    }

    @Test(arguments: [
        ("clientConnection:\n  qps: fast\n", "config.yaml:4: clientConnection.qps: expected a number, got string \"fast\""),
        ("clientConnection:\n  burst: 1.5\n", "config.yaml:4: clientConnection.burst: expected an integer, got number 1.5"),
        ("conntrack:\n  tcpBeLiberal: maybe\n", "config.yaml:4: conntrack.tcpBeLiberal: expected true or false, got string \"maybe\""),
        ("hostnameOverride: 42\n", "config.yaml:3: hostnameOverride: expected a string, got integer 42 (quote it to make it a string)"),
        ("nodePortAddresses: primary\n", "config.yaml:3: nodePortAddresses: expected a list of strings, got string \"primary\""),
        ("conntrack: 5\n", "config.yaml:3: conntrack: expected an object, got integer 5"),
        ("featureGates:\n  Gate: sure\n", "config.yaml:4: featureGates.Gate: expected true or false, got string \"sure\""),
    ])
    func wrongTypesNameTheField(body: String, expected: String) {
        let text = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body
        #expect(Self.error(text)?.description == expected)
    }

    @Test(arguments: [
        ("nftables:\n  syncPeriod: 30\n", "config.yaml:4: nftables.syncPeriod: expected a duration such as 30s, 1m0s or 500ms, got integer 30"),
        ("conntrack:\n  udpTimeout: 30 seconds\n", "config.yaml:4: conntrack.udpTimeout: \"30 seconds\" is not a duration; write it as Go does, e.g. 30s, 1m0s, 1h30m or 500ms"),
        ("iptables:\n  minSyncPeriod: 1d\n", "config.yaml:4: iptables.minSyncPeriod: \"1d\" is not a duration; write it as Go does, e.g. 30s, 1m0s, 1h30m or 500ms"),
    ])
    func badDurationsNameTheField(body: String, expected: String) {
        let text = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body
        #expect(Self.error(text)?.description == expected)
    }

    @Test(arguments: [
        ("", "config.yaml: the file is empty; it must hold a KubeProxyConfiguration"),
        ("kind: KubeProxyConfiguration\n", "config.yaml:1: apiVersion: missing; use kubeproxy.config.k8s.io/v1alpha1"),
        ("apiVersion: kubeproxy.config.k8s.io/v1alpha2\nkind: KubeProxyConfiguration\n",
         "config.yaml:1: apiVersion: \"kubeproxy.config.k8s.io/v1alpha2\" is not supported; use kubeproxy.config.k8s.io/v1alpha1"),
        ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n",
         "config.yaml:1: kind: \"KubeletConfiguration\" is not KubeProxyConfiguration"),
        ("- a\n- b\n", "config.yaml:1: expected a KubeProxyConfiguration object, got a list"),
        ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n---\nkind: Other\n",
         "config.yaml: the file holds 2 documents; it must hold one KubeProxyConfiguration"),
        ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: [nftables\n",
         "config.yaml:4: invalid YAML or JSON: while parsing a flow sequence did not find expected ',' or ']'"),
    ])
    func badFilesNameTheFileAndLine(text: String, expected: String) {
        #expect(Self.error(text)?.description == expected)
    }

    /// A directory gave "The operation could not be completed. (NSCocoaErrorDomain error 256.)".
    @Test(arguments: [
        ("/nonexistent/proxyd.yaml", "--config /nonexistent/proxyd.yaml: no such file or directory"),
        ("/", "--config /: is a directory"),
        ("/dev/zero", "--config /dev/zero: longer than 4 MiB; this is not a configuration file"),
    ])
    func aFileThatCannotBeReadIsNamedWithTheReason(path: String, expected: String) {
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.read(path: path) }
        do {
            _ = try ConfigurationFile.read(path: path)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func linesOfFieldsAreIndexedForLaterErrors() throws {
        let file = try ConfigurationFile.parse(Self.everyField, file: "config.yaml")
        #expect(file.lines["clusterCIDR"] == 59)
        #expect(file.lines["conntrack.maxPerCore"] == 63)
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theDocumentedExampleIsValidAndAtTheDefaultsButForItsClusterCIDR() throws {
        let file = try ConfigurationFile.read(path: Self.packageRoot.appendingPathComponent("docs/kube-proxy-config.yaml").path)
        #expect(file.configuration.withDefaults() == KubeProxyConfiguration().withDefaults().with {
            $0.clusterCIDR = "10.244.0.0/16,fd00:10:244::/56"
        })
        #expect(file.configuration.ignoredSettings().isEmpty)
    }

    @Test func theConfigMapManifestHoldsAValidConfiguration() throws {
        let manifest = try String(contentsOf: Self.packageRoot.appendingPathComponent("manifests/configmap.yaml"), encoding: .utf8)
        let text = try #require(try Yams.compose(yaml: manifest)?["data"]?["config.conf"]?.string)
        let file = try ConfigurationFile.parse(text, file: "manifests/configmap.yaml")
        let options = try ResolvedOptions(effective: file.configuration.withDefaults(), origin: .flags(), hostName: { "node" })
        #expect(options.mode == .nftables)
        #expect(file.configuration.ignoredSettings().isEmpty)
    }

    static func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try ConfigurationFile.parse(text, file: "config.yaml")
            return nil
        } catch {
            return error
        }
    }
}

extension KubeProxyConfiguration {
    func with(_ change: (inout KubeProxyConfiguration) -> Void) -> KubeProxyConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}
