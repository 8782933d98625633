import WorkFlowEngine

extension FilterModule {
    static let moduleDescriptor: ModuleDescriptor = {
        let data = ParameterDescriptor("data", .array, required: true, doc: "The records: an array of objects.")
        let result = #"{"status": true, "data": [...], "count": N}"#
        return ModuleDescriptor(
            name: "common.Filter",
            doc: "Filters, reshapes, sorts, de-duplicates and pages lists of records.",
            methods: [
                MethodDescriptor(
                    "filter",
                    doc: "Keeps the records that meet every condition.",
                    parameters: [
                        data,
                        ParameterDescriptor(
                            "conditions", .array, required: true,
                            doc: "Conditions {col, op, value}, all of which must hold; op is one of "
                                + "\(Condition.Operator.names)."),
                    ],
                    result: result),
                MethodDescriptor(
                    "select",
                    doc: "Keeps, renames and drops keys of every record, in that order.",
                    parameters: [
                        data,
                        ParameterDescriptor(
                            "cols", [.array, .string], doc: "Keys to keep, in this order; absent ones are skipped."),
                        ParameterDescriptor("rename", .object, doc: "Old key to new key; a renamed key keeps its position."),
                        ParameterDescriptor("drop", [.array, .string], doc: "Keys to remove."),
                    ],
                    result: result),
                MethodDescriptor(
                    "sort",
                    doc: "Sorts the records by one or more keys, stably; missing and null values go last.",
                    parameters: [
                        data,
                        ParameterDescriptor(
                            "by", [.string, .array], required: true, doc: "The key, or the keys in priority order."),
                        ParameterDescriptor(
                            "ascending", [.boolean, .array], default: true,
                            doc: "One direction for every key, or an array with one per key."),
                    ],
                    result: result),
                MethodDescriptor(
                    "dedup",
                    doc: "Drops records whose key was already seen, keeping the first.",
                    parameters: [
                        data,
                        ParameterDescriptor(
                            "cols", [.array, .string],
                            doc: "Keys that make a record's identity (default: the whole record)."),
                    ],
                    result: result),
                MethodDescriptor(
                    "limit",
                    doc: "Keeps count records starting at offset.",
                    parameters: [
                        data,
                        ParameterDescriptor(
                            "count", .integer, required: true, doc: "How many records to keep (not negative)."),
                        ParameterDescriptor("offset", .integer, default: 0, doc: "How many records to skip first (not negative)."),
                    ],
                    result: result),
            ])
    }()
}
