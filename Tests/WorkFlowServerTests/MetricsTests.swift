import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("GET /metrics")
struct MetricsTests {
    /// The sample lines (`name{labels} value`) of a Prometheus text exposition.
    static func samples(_ text: String) -> [String: String] {
        var samples: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return samples
    }

    @Test("runs finished by status, run and step durations, the queue depth, and HTTP requests by route and status")
    func exposition() async throws {
        let harness = try await ServerHarness.make(metrics: ServerMetrics())
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": helloDocument])
            for _ in 0..<2 {
                let run = try await client.send(.post, "/api/v1/flows/hello/runs?wait=30")
                #expect(run.json["status"] == "success")
            }
            // Every run's recorders have finished once the runs drained.
            await harness.server.runs.shutdown(grace: .seconds(30))
            _ = try await harness.store.enqueueRun(
                flowName: "hello", flowVersion: 1, document: ["procedures": helloSteps], trigger: .api, triggeredBy: nil, inputs: [:],
                now: Date())
            for _ in 0..<2 { _ = try await client.send(.get, "/api/v1/flows") }
            _ = try await client.send(.get, "/api/v1/runs/999999")
            _ = try await client.send(.get, "/api/v1/no-such-route")

            let answer = try await client.send(.get, "/metrics")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let samples = Self.samples(answer.text)
            #expect(samples[#"workflow_runs_finished_total{status="success"}"#] == "2", "\(answer.text)")
            #expect(samples[#"workflow_run_duration_seconds_count{status="success"}"#] == "2")
            #expect(samples[#"workflow_run_duration_seconds_bucket{status="success",le="+Inf"}"#] == "2")
            #expect(samples[#"workflow_steps_finished_total{module="common.Kt",status="success"}"#] == "2")
            #expect(samples[#"workflow_step_duration_seconds_count{module="common.Kt",status="success"}"#] == "2")
            #expect(samples[#"workflow_queue_depth{state="queued"}"#] == "1.0")
            #expect(samples[#"workflow_queue_depth{state="claimed"}"#] == "0.0")
            #expect(samples[#"workflow_http_requests_total{method="GET",route="/api/v1/flows",status="200"}"#] == "2")
            #expect(samples[#"workflow_http_request_duration_seconds_count{method="GET",route="/api/v1/flows",status="200"}"#] == "2")
            #expect(samples[#"workflow_http_requests_total{method="POST",route="/api/v1/flows/{name}/runs",status="200"}"#] == "2")
            #expect(samples[#"workflow_http_requests_total{method="GET",route="/api/v1/runs/{id}",status="404"}"#] == "1")
            #expect(samples[#"workflow_http_requests_total{method="GET",route="NotFound",status="404"}"#] == "1")
            #expect(answer.text.contains("# TYPE workflow_run_duration_seconds histogram"))

            let again = Self.samples(try await client.send(.get, "/metrics").text)
            #expect(again[#"workflow_http_requests_total{method="GET",route="/metrics",status="200"}"#] == "1")
        }
    }

    @Test("/metrics needs credentials like every route, and each server keeps its own numbers")
    func credentials() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let anonymous = try await client.send(.get, "/metrics", as: .nobody)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.json["status"] == false)
            let reader = try await client.send(.get, "/metrics", as: .key(try await harness.userKey("reader")))
            #expect(reader.status == .ok)
            let samples = Self.samples(reader.text)
            #expect(samples[#"workflow_http_requests_total{method="GET",route="NotFound",status="404"}"#] == nil)
            #expect(samples[#"workflow_http_requests_total{method="GET",route="/metrics",status="401"}"#] == "1")
        }
    }
}
