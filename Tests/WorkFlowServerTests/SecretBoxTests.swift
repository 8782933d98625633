import Crypto
import Foundation
import Testing

@testable import WorkFlowServer

@Suite("the secret box and the master key file")
struct SecretBoxTests {
    static func box() throws -> SecretBox { try SecretBox(key: SymmetricKey(size: .bits256)) }

    /// A fresh folder, removed after `body`.
    static func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-secrets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a sealed secret opens to the same text, in the v1 format, and two seals differ")
    func roundTrip() throws {
        let box = try Self.box()
        for secret in ["s3cret", "", "ünïcode ✓ and a long tail " + String(repeating: "x", count: 500)] {
            let sealed = try box.seal(secret, purpose: "test")
            #expect(sealed.hasPrefix("v1:"))
            #expect(!sealed.contains(secret) || secret.isEmpty)
            #expect(try box.open(sealed, purpose: "test") == secret)
        }
        #expect(try box.seal("same", purpose: "test") != box.seal("same", purpose: "test"))
    }

    @Test("any altered byte, another key or another purpose fails to decrypt")
    func tamperAndWrongKey() throws {
        let box = try Self.box()
        let sealed = try box.seal("the secret", purpose: "webhook.hmac")
        var bytes = try #require(Data(base64Encoded: String(sealed.dropFirst(3))))
        for index in [0, 11, 12, bytes.count - 17, bytes.count - 1] {
            bytes[index] ^= 0x01
            #expect(throws: SecretBoxError.cannotDecrypt) { try box.open("v1:" + bytes.base64EncodedString(), purpose: "webhook.hmac") }
            bytes[index] ^= 0x01
        }
        #expect(try box.open("v1:" + bytes.base64EncodedString(), purpose: "webhook.hmac") == "the secret")
        #expect(throws: SecretBoxError.cannotDecrypt) { try Self.box().open(sealed, purpose: "webhook.hmac") }
        #expect(throws: SecretBoxError.cannotDecrypt) { try box.open(sealed, purpose: "variable") }
        #expect(
            SecretBoxError.cannotDecrypt.description
                == "the encrypted secret cannot be decrypted: it was encrypted under another master key, or for another purpose, or it has been altered")
    }

    @Test("malformed values and unknown versions are named as such")
    func malformed() throws {
        let box = try Self.box()
        #expect(throws: SecretBoxError.malformed("expected 'v1:<base64>', found no version prefix")) { try box.open("plain", purpose: "p") }
        #expect(throws: SecretBoxError.unsupportedVersion("v2")) { try box.open("v2:AAAA", purpose: "p") }
        #expect(throws: SecretBoxError.malformed("the text after 'v1:' is not base64")) { try box.open("v1:***", purpose: "p") }
        #expect(throws: SecretBoxError.malformed("3 bytes is shorter than a nonce and a tag")) { try box.open("v1:AAAA", purpose: "p") }
        #expect(throws: SecretBoxError.wrongKeyLength(bits: 128)) { try SecretBox(key: SymmetricKey(size: .bits128)) }
    }

    @Test("the key file is created on first use with 32 bytes and mode 0600, then read back unchanged")
    func keyFileCreated() throws {
        try Self.withFolder { folder in
            let file = MasterKeyFile(home: folder.appendingPathComponent("nested").path)
            #expect(file.path.hasSuffix("/nested/master.key"))
            #expect(try file.load() == nil)
            let key = try file.loadOrCreate()
            #expect(try Self.mode(file.path) == 0o600)
            #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)).count == 32)
            #expect(try file.loadOrCreate() == key)
            #expect(try file.load() == key)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("nested").path)
            #expect(leftovers == ["master.key"])

            // A box made from the file opens what another box from the same file sealed.
            let sealed = try SecretBox(key: key).seal("x", purpose: "p")
            #expect(try SecretBox(key: try file.loadOrCreate()).open(sealed, purpose: "p") == "x")
        }
    }

    @Test("a key file others may read, or of the wrong size, is refused with a clear message")
    func keyFileRefused() throws {
        try Self.withFolder { folder in
            let file = MasterKeyFile(home: folder.path)
            _ = try file.loadOrCreate()
            for mode in [0o644, 0o640, 0o604, 0o660] {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
                #expect(throws: SecretBoxError.keyFileTooOpen(path: file.path, mode: UInt16(mode))) { try file.loadOrCreate() }
            }
            #expect(
                SecretBoxError.keyFileTooOpen(path: "/h/master.key", mode: 0o644).description
                    == "the master key file /h/master.key has mode 644; it must be readable by its owner only (chmod 600 /h/master.key) — refusing to use it")
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: file.path)
            #expect(try file.load() != nil)

            try FileManager.default.removeItem(atPath: file.path)
            _ = FileManager.default.createFile(atPath: file.path, contents: Data(repeating: 7, count: 31), attributes: [.posixPermissions: 0o600])
            #expect(throws: SecretBoxError.keyFileWrongSize(path: file.path, size: 31)) { try file.loadOrCreate() }
            #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)).count == 31, "a bad file is never replaced")
        }
    }

    @Test("the loader creates the key only when a secret is first sealed; the start check refuses a bad file")
    func loader() throws {
        try Self.withFolder { folder in
            let loader = SecretBoxLoader(file: MasterKeyFile(home: folder.path))
            try loader.checkAtStart()
            #expect(!FileManager.default.fileExists(atPath: loader.file.path))
            #expect(throws: SecretBoxError.keyFileMissing(path: loader.file.path)) {
                try loader.secretBox(createIfMissing: false)
            }
            #expect(!FileManager.default.fileExists(atPath: loader.file.path))
            let sealed = try loader.secretBox(createIfMissing: true).seal("hello", purpose: "p")
            #expect(FileManager.default.fileExists(atPath: loader.file.path))
            #expect(try SecretBoxLoader(file: loader.file).secretBox(createIfMissing: false).open(sealed, purpose: "p") == "hello")

            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loader.file.path)
            #expect(throws: SecretBoxError.keyFileTooOpen(path: loader.file.path, mode: 0o644)) {
                try SecretBoxLoader(file: loader.file).checkAtStart()
            }
        }
    }

    @Test("the server refuses to start when its master key file is open to others")
    func serverRefusesToStart() async throws {
        let harness = try await ServerHarness.make()
        let path = harness.directory.appendingPathComponent("master.key").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 32), attributes: [.posixPermissions: 0o644])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        do {
            _ = try harness.server.serviceGroup()
            Issue.record("the server started with a master key readable by others")
        } catch let error as ServerStartError {
            #expect(error.message.contains("chmod 600 \(path)"))
        }
        await harness.close()
    }
}
