import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine

@testable import WorkFlowServer

@Suite("the OpenAPI document")
struct OpenAPITests {
    @Test("/api/openapi.json lists every route the router answers, and the router answers every route it lists")
    func complete() async throws {
        let harness = try await ServerHarness.make()
        let routes = harness.server.routes()
        try await harness.test { client in
            let answer = try await client.send(.get, "/api/openapi.json")
            #expect(answer.status == .ok)
            let document = answer.json
            #expect(document["openapi"] == "3.1.0")
            let paths = try #require(document["paths"]?.objectValue)

            // Every route is documented...
            for route in routes {
                let operation = paths[route.openAPIPath]?[route.method.rawValue.lowercased()]
                #expect(operation != nil, "\(route.method) \(route.path) is missing from the OpenAPI document")
                #expect(operation?["summary"]?.stringValue?.isEmpty == false)
            }
            // ...every documented operation is a route...
            var documented = 0
            for (path, operations) in paths {
                for (method, _) in operations.objectValue ?? [:] {
                    documented += 1
                    #expect(
                        routes.contains { $0.openAPIPath == path && $0.method.rawValue.lowercased() == method },
                        "\(method) \(path) is documented but not routed")
                }
            }
            #expect(documented == routes.count)
            #expect(Set(routes.map { "\($0.method) \($0.path)" }).count == routes.count, "a route is registered twice")

            // ...and the router really answers each one (a wrong id or name is fine; "no route" is not).
            for route in routes where route.path != "/api/v1/auth/logout" {
                let path = route.path.split(separator: "/", omittingEmptySubsequences: false)
                    .map { $0.hasPrefix(":") ? "1" : String($0) }.joined(separator: "/")
                let r = try await client.send(route.method, path)
                let message = r.json["error"]?["message"]?.stringValue ?? r.json["error"]?.stringValue ?? ""
                #expect(!message.hasPrefix("no route for"), "\(route.method) \(route.path) is not routed")
            }
            let unknown = try await client.send(.get, "/api/v1/not-a-route")
            #expect(unknown.json["error"]?["message"] == "no route for GET /api/v1/not-a-route")
        }
    }

    @Test("public routes are marked as needing no credentials; all others need them")
    func security() async throws {
        let harness = try await ServerHarness.make()
        let routes = harness.server.routes()
        #expect(Set(routes.filter { !$0.authenticated }.map(\.path)) == ["/healthz", "/api/v1/auth/login", "/hooks/:token"])
        let document = OpenAPIDocument.build(routes, version: "test")
        #expect(document["paths"]?["/healthz"]?["get"]?["security"] == [])
        #expect(document["paths"]?["/flow/{name}"]?["get"]?["security"] == nil)
        #expect(document["paths"]?["/flow/{name}"]?["get"]?["parameters"]?[0]?["name"] == "name")
        #expect(document["paths"]?["/hooks/{token}"]?["post"]?["security"] == [])
        #expect(document["paths"]?["/hooks/{token}"]?["post"]?["tags"] == ["hooks"])
        await harness.close()
    }
}
