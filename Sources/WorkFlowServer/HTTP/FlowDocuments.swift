import WorkFlowEngine
import WorkFlowStore

/// Reads workflow documents out of request bodies and checks them against the modules.
enum FlowDocuments {
    /// The seed's create/update body: `{"name" | "flow_name", "procedures": [...] | {"procedures": [...], ...},
    /// "variables"?, "_connections"?, "_positions"?}`. Both spellings the seed's own tests used are
    /// accepted. The name in the URL, when there is one, wins over the body's.
    static func seedBody(_ body: JSONObject, urlName: String?) throws(APIError) -> (name: String, document: JSONObject) {
        let name: String
        if let urlName {
            name = urlName
        } else if case .string(let given)? = body["name"] ?? body["flow_name"] {
            name = given
        } else if body["name"] != nil || body["flow_name"] != nil {
            throw APIError.invalidField("name", "must be a string")
        } else {
            throw APIError.invalidField("name", "is required (or flow_name)")
        }
        var document: JSONObject
        switch body["procedures"] {
        case .array?:
            document = [:]
        case .object(let inner)?:
            guard inner["procedures"] != nil else {
                throw APIError.invalidField("procedures", "an object must hold the document, with its own 'procedures' list")
            }
            document = inner
        case nil:
            throw APIError.invalidField("procedures", "is required: the list of steps")
        case let other?:
            throw APIError.invalidField("procedures", "must be a list of steps, not a \(other.typeName)")
        }
        for (key, value) in body where key != "name" && key != "flow_name" {
            if key == "procedures", case .object = value { continue }
            document[key] = value
        }
        return (name, document)
    }

    /// The document when it is valid against the modules (custom modules reloaded first when it
    /// names any, so one saved on another node is known); otherwise a 400 listing every problem
    /// with its JSON path.
    static func validated(_ document: JSONObject, modules: ModuleLibrary) async throws(APIError) -> JSONObject {
        let workflow = Workflow(document: .object(document))
        let issues = workflow.validate(registry: await modules.registry(for: workflow))
        guard issues.isEmpty else { throw APIError.invalidWorkflow(issues) }
        var document = workflow.document
        // The seed carried the name inside the document; here it is the workflow's key.
        document.removeValue(forKey: "name")
        return document
    }
}
