import Foundation
import ServiceModel

/// kube-proxy's JSON bodies for `/healthz`, `/livez` and health-check node ports.
public enum HealthResponses {
    /// `{"lastUpdated": …, "currentTime": …, "nodeEligible": …, "healthy": …, "status": {"IPv4": {…}}}`.
    public static func proxyHealth(_ health: ProxyStatus.Health, families: [IPFamily]) -> String {
        let lastUpdated = health.lastUpdated.map(timestamp) ?? "0001-01-01T00:00:00Z"
        let perFamily = families.map { family in
            "\"\(family.rawValue)\":{\"lastUpdated\":\"\(lastUpdated)\",\"healthy\":\(health.healthy)}"
        }.joined(separator: ",")
        return "{\"lastUpdated\":\"\(lastUpdated)\",\"currentTime\":\"\(timestamp(health.currentTime))\","
            + "\"nodeEligible\":\(health.nodeEligible),\"healthy\":\(health.healthy),\"status\":{\(perFamily)}}"
    }

    /// `{"service":{"namespace":"ns","name":"svc"},"localEndpoints":N,"serviceProxyHealthy":true}`.
    public static func serviceHealth(_ service: ObjectKey, localEndpoints: Int, proxyHealthy: Bool) -> String {
        "{\"service\":{\"namespace\":\(quoted(service.namespace)),\"name\":\(quoted(service.name))},"
            + "\"localEndpoints\":\(localEndpoints),\"serviceProxyHealthy\":\(proxyHealthy)}"
    }

    /// RFC 3339 with fractional seconds, as Go's `time.Time` marshals.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
