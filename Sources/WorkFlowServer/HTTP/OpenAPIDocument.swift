import HTTPTypes
import WorkFlowEngine

/// The OpenAPI 3.1 description of every route, made from the route table.
enum OpenAPIDocument {
    static func build(_ routes: [RouteInfo], version: String) -> JSONValue {
        var paths: JSONObject = [:]
        for route in routes {
            var operations: JSONObject = paths[route.openAPIPath]?.objectValue ?? [:]
            operations[route.method.rawValue.lowercased()] = operation(route)
            paths[route.openAPIPath] = .object(operations)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "WorkFlow",
                "version": .string(version),
                "description": "The seed's REST API (paths without /api) and API v1. Every route but /healthz, sign-in and webhook calls (/hooks/{token}, where the token is the credential) needs an API key (X-Api-Key or Authorization: Bearer) or a session cookie.",
            ],
            "security": [["apiKey": []], ["bearer": []], ["session": []]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-Api-Key"],
                    "bearer": ["type": "http", "scheme": "bearer"],
                    "session": ["type": "apiKey", "in": "cookie", "name": "wf_session"],
                ],
                "schemas": [
                    "Error": [
                        "type": "object",
                        "required": ["error"],
                        "properties": [
                            "error": [
                                "type": "object",
                                "required": ["code", "message"],
                                "properties": [
                                    "code": ["type": "string"], "message": ["type": "string"], "details": [:],
                                ],
                            ]
                        ],
                    ],
                    "SeedError": [
                        "type": "object",
                        "required": ["status", "error"],
                        "properties": ["status": ["const": false], "error": ["type": "string"], "details": [:]],
                    ],
                ],
            ],
        ]
    }

    private static func operation(_ route: RouteInfo) -> JSONValue {
        let errorSchema: JSONValue = route.tag == "seed" ? ["$ref": "#/components/schemas/SeedError"] : ["$ref": "#/components/schemas/Error"]
        let answer: JSONValue = route.produces == "application/json" ? [:] : schema(route.produces)
        var operation: JSONObject = [
            "summary": .string(route.summary),
            "tags": [.string(route.tag)],
            "operationId": .string(operationID(route)),
            "responses": [
                "2XX": ["description": "Success", "content": [route.produces: ["schema": answer]]],
                "default": ["description": "An error", "content": ["application/json": ["schema": errorSchema]]],
            ],
        ]
        if !route.parameters.isEmpty {
            operation["parameters"] = .array(
                route.parameters.map { ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]] })
        }
        if route.method == .post || route.method == .put {
            var content: JSONObject = [:]
            for type in route.consumes { content[type] = ["schema": schema(type)] }
            operation["requestBody"] = ["required": false, "content": .object(content)]
        }
        if !route.authenticated { operation["security"] = [] }
        return .object(operation)
    }

    /// A body's schema by its media type: JSON objects, a form with a `file`, or bytes or text.
    private static func schema(_ mediaType: String) -> JSONValue {
        switch mediaType {
        case "application/json": ["type": "object"]
        case "multipart/form-data": ["type": "object", "properties": ["file": ["type": "string", "contentMediaType": "application/zip"]]]
        case let type where type.hasPrefix("text/"): ["type": "string"]
        default: ["type": "string", "contentMediaType": .string(mediaType)]
        }
    }

    /// `get_api_v1_flows_name`: unique per method and path.
    private static func operationID(_ route: RouteInfo) -> String {
        let words = route.path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return ([route.method.rawValue.lowercased()] + words).joined(separator: "_")
    }
}
