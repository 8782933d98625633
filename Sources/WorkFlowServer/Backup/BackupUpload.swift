import Foundation
import Hummingbird

/// The backup ZIP sent to a restore: the `file` field of a `multipart/form-data` body, as the
/// seed's `POST /restore` took it, or a raw `application/zip` body.
struct BackupUpload: Sendable {
    var data: Data
    /// The file name the client gave, if any (for version comments and the audit log).
    var fileName: String?

    /// The seed's answer to a restore without a file.
    static let noFileMessage = "No file uploaded. Use multipart/form-data with field name \"file\"."

    /// Raw body types taken as a ZIP.
    static let zipMediaTypes: Set<String> = ["application/zip", "application/x-zip-compressed", "application/octet-stream"]

    /// Reads the upload; no file (or an empty one) is the seed's 400.
    static func read(_ request: Request, context: AppRequestContext) async throws(APIError) -> BackupUpload {
        let contentType = request.headers[.contentType] ?? ""
        let boundary: String?
        do {
            boundary = try MultipartForm.boundary(contentType: contentType)
        } catch {
            throw APIError.badRequest("the multipart body cannot be read: \(error)", code: "malformed_multipart")
        }
        if let boundary {
            let body = try await request.bodyBytes(context: context)
            let form: MultipartForm
            do {
                form = try MultipartForm(body: Array(body.readableBytesView), boundary: boundary)
            } catch {
                throw APIError.badRequest("the multipart body cannot be read: \(error)", code: "malformed_multipart")
            }
            guard let part = form.part(named: "file"), !part.body.isEmpty else { throw noFile }
            return BackupUpload(data: Data(part.body), fileName: part.fileName.flatMap { $0.isEmpty ? nil : $0 })
        }
        guard zipMediaTypes.contains(HeaderParameters.split(contentType).value.lowercased()) else { throw noFile }
        let body = try await request.bodyBytes(context: context)
        guard body.readableBytes > 0 else { throw noFile }
        return BackupUpload(data: Data(body.readableBytesView), fileName: nil)
    }

    private static var noFile: APIError { .badRequest(noFileMessage, code: "no_file") }
}
