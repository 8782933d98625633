import Foundation
import WorkFlowEngine

/// One CSV record and the line it starts on (1-based), for messages.
struct CSVRecord: Equatable {
    var fields: [String]
    var line: Int
}

/// Reads and writes CSV the way Python's `csv` module does with its default `excel` dialect:
/// `,` between fields, `"` quotes with `""` for a quote inside, line breaks allowed in quoted fields.
enum CSVCodec {
    /// Splits `text` into records. Line breaks are normalised first (`\r\n` and `\r` become `\n`,
    /// inside quoted fields too), as Python's text-mode reading did for the seed. Like Python's
    /// non-strict reader it never fails: a quote inside an unquoted field is kept, text after a
    /// closing quote is appended, and a quoted field still open at the end of the text ends there.
    /// Empty lines give no record.
    static func records(in text: String) -> [CSVRecord] {
        enum State { case startRecord, startField, inField, inQuotedField, quoteInQuotedField }

        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var state = State.startRecord
        var line = 1
        var recordLine = 1

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
        }
        func endRecord() {
            endField()
            records.append(CSVRecord(fields: fields, line: recordLine))
            fields = []
        }

        for scalar in FileIOModule.universalNewlines(text).unicodeScalars {
            let isBreak = scalar == "\n"
            defer { if isBreak { line += 1 } }

            switch state {
            case .startRecord:
                recordLine = line
                if isBreak { continue }  // an empty line
                fallthrough
            case .startField:
                if isBreak {
                    endRecord()
                    state = .startRecord
                } else if scalar == "\"" {
                    state = .inQuotedField
                } else if scalar == "," {
                    endField()
                    state = .startField
                } else {
                    field.append(scalar)
                    state = .inField
                }
            case .inField:
                if isBreak {
                    endRecord()
                    state = .startRecord
                } else if scalar == "," {
                    endField()
                    state = .startField
                } else {
                    field.append(scalar)
                }
            case .inQuotedField:
                if scalar == "\"" {
                    state = .quoteInQuotedField
                } else {
                    field.append(scalar)
                }
            case .quoteInQuotedField:
                if scalar == "\"" {
                    field.append(scalar)
                    state = .inQuotedField
                } else if scalar == "," {
                    endField()
                    state = .startField
                } else if isBreak {
                    endRecord()
                    state = .startRecord
                } else {
                    field.append(scalar)
                    state = .inField
                }
            }
        }
        if state != .startRecord { endRecord() }
        return records
    }

    /// Python's `csv.DictReader`: the first record names the fields, every value is a string,
    /// missing trailing fields are `null`. Extra fields are dropped and reported through `warn`
    /// (Python kept them under a `None` key, which has no JSON form).
    static func decodeDictionaries(_ text: String, warn: (String) -> Void) -> [JSONValue] {
        let all = records(in: text)
        guard let header = all.first?.fields else { return [] }
        var rows: [JSONValue] = []
        rows.reserveCapacity(all.count - 1)
        for (index, record) in all.dropFirst().enumerated() {
            var row = JSONObject(minimumCapacity: header.count)
            for (position, name) in header.enumerated() {
                row[name] = position < record.fields.count ? .string(record.fields[position]) : .null
            }
            if record.fields.count > header.count {
                warn(
                    "CSV row \(index + 1) (line \(record.line)) has \(record.fields.count) fields but the header has "
                        + "\(header.count); the extra \(record.fields.count - header.count) field(s) were dropped")
            }
            rows.append(.object(row))
        }
        return rows
    }

    /// Python's `csv.DictWriter` over the keys of the first row, with `\r\n` line ends.
    /// Throws a message when `data` is not a non-empty array of objects or a row has a key
    /// the header lacks.
    static func encodeDictionaries(_ data: JSONValue) throws(FileIOFailure) -> String {
        guard case .array(let rows) = data else {
            throw FileIOFailure("CSV data must be an array of objects, got \(ParameterReader.describe(data))")
        }
        guard let first = rows.first else { throw FileIOFailure("data is empty: a CSV file needs at least one row") }
        guard case .object(let firstRow) = first else {
            throw FileIOFailure("CSV data must be an array of objects, but data[0] is \(ParameterReader.describe(first))")
        }
        let header = Array(firstRow.keys)
        var out = ""
        appendRecord(header, to: &out)
        for (index, value) in rows.enumerated() {
            guard case .object(let row) = value else {
                throw FileIOFailure("CSV data must be an array of objects, but data[\(index)] is \(ParameterReader.describe(value))")
            }
            let unknown = row.keys.filter { !firstRow.keys.contains($0) }
            if !unknown.isEmpty {
                let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
                throw FileIOFailure(
                    "data[\(index)] has field(s) not in the CSV header: \(names) (the header is the keys of data[0]: "
                        + "\(header.joined(separator: ", ")))")
            }
            appendRecord(header.map { row[$0].map(fieldText) ?? "" }, to: &out)
        }
        return out
    }

    /// A value as Python's csv writer writes it: `str()`, except `None`, which is empty.
    private static func fieldText(_ value: JSONValue) -> String {
        value.isNull ? "" : value.pythonDescription
    }

    private static func appendRecord(_ fields: [String], to out: inout String) {
        // Python quotes a record made of a single empty field, so that it does not read back as an empty line.
        if fields.count == 1 && fields[0].isEmpty {
            out += "\"\"\r\n"
            return
        }
        for (index, field) in fields.enumerated() {
            if index > 0 { out += "," }
            let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            if needsQuotes {
                out += "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                out += field
            }
        }
        out += "\r\n"
    }
}
