import ArgumentParser
import Foundation
import ServiceModel

/// `proxyd-bench decode`: the JSON decoding hot paths alone, in process — a manifest `List` (`--objects`, the
/// cold sync's decode phase), the API server's list pages and watch events. No root needed.
struct DecodeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure JSON decoding of a generated cluster (manifest List, list pages, watch events).")

    @Option(help: "Services (each with one EndpointSlice) in the generated cluster.")
    var services: Int = 10_000

    @Option(help: "Endpoints per EndpointSlice.")
    var endpoints: Int = 2

    @Option(help: "Timed decodes of each kind (the median and minimum are reported).")
    var repetitions: Int = 15

    func run() async throws {
        let cluster = GeneratedCluster(services: services, endpoints: endpoints)
        let manifest = try cluster.json()
        let encoder = JSONEncoder()
        var serviceList = Data(#"{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":["#.utf8)
        var sliceList = Data(#"{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"7"},"items":["#.utf8)
        var events: [Data] = []
        for index in 0..<services {
            let service = try encoder.encode(cluster.service(index))
            let slice = try encoder.encode(cluster.slice(index))
            if index > 0 {
                serviceList.append(UInt8(ascii: ","))
                sliceList.append(UInt8(ascii: ","))
            }
            serviceList += service
            sliceList += slice
            events.append(Data(#"{"type":"MODIFIED","object":"#.utf8) + slice + Data("}".utf8))
        }
        serviceList += Data("]}".utf8)
        sliceList += Data("]}".utf8)

        var report = [
            "## JSON decoding (\(services) Services + \(services) EndpointSlices × \(endpoints) endpoints, in process)", "",
            "| input | bytes | median of \(repetitions) | min |", "|---|---|---|---|",
        ]
        func measure(_ name: String, bytes: Int, _ body: () throws -> Int) rethrows {
            var times: [Double] = []
            for _ in 0..<repetitions {
                let start = ContinuousClock.now
                let count = try body()
                times.append((ContinuousClock.now - start).milliseconds)
                precondition(count > 0, "\(name) decoded nothing")
            }
            let sample = Sample(values: times)
            report.append(String(format: "| %@ | %.1f MB | %.1f ms | %.1f ms |", name, Double(bytes) / 1e6, sample.median, sample.percentile(0)))
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        measure("manifest List (`ObjectDecoding.decodeJSON`)", bytes: manifest.count) {
            ObjectDecoding.decodeJSON(manifest).objects.count
        }
        try measure("ServiceList page (`ListPage.decode`)", bytes: serviceList.count) {
            try ListPage.decode(.service, fromJSON: serviceList).objects.count
        }
        try measure("EndpointSliceList page (`ListPage.decode`)", bytes: sliceList.count) {
            try ListPage.decode(.endpointSlice, fromJSON: sliceList).objects.count
        }
        // The reason the hand-written reader exists, as a number: Foundation's JSONDecoder over the same pages, into
        // the same Codable types.
        let decoder = JSONDecoder()
        try measure("ServiceList page (Foundation `JSONDecoder`)", bytes: serviceList.count) {
            try decoder.decode(CodableList<Service>.self, from: serviceList).items.count
        }
        try measure("EndpointSliceList page (Foundation `JSONDecoder`)", bytes: sliceList.count) {
            try decoder.decode(CodableList<EndpointSlice>.self, from: sliceList).items.count
        }
        try measure("\(services) watch events (`WatchEvent.decode`)", bytes: events.reduce(0) { $0 + $1.count }) {
            var count = 0
            for event in events where try WatchEvent.decode(.endpointSlice, fromJSON: event).object != nil { count += 1 }
            return count
        }
        print(report.joined(separator: "\n"))
    }
}

/// A Kubernetes list as Foundation's `JSONDecoder` reads it: only the items.
private struct CodableList<Item: Decodable>: Decodable {
    var items: [Item]
}
