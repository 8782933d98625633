/// Bounds on what a backup may unpack to, so that a hostile or broken archive (a "zip bomb")
/// cannot exhaust memory: entries are read into memory to be validated before anything is written.
public struct BackupLimits: Sendable, Hashable {
    /// The largest archive file accepted, in bytes.
    public var maxArchiveBytes: Int
    /// The most the entries may unpack to, all together, in bytes.
    public var maxUnpackedBytes: Int
    /// The most entries (files and folders) an archive may hold.
    public var maxEntries: Int

    public init(maxArchiveBytes: Int = 200 << 20, maxUnpackedBytes: Int = 200 << 20, maxEntries: Int = 10_000) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxUnpackedBytes = maxUnpackedBytes
        self.maxEntries = maxEntries
    }

    /// 200 MB packed, 200 MB unpacked, 10,000 entries.
    public static let standard = BackupLimits()
}

extension Int {
    /// `12.5 MB`, `800 KB`, `12 bytes`: sizes in messages.
    var byteCountText: String {
        if self >= 1 << 20 {
            return self % (1 << 20) == 0 ? "\(self >> 20) MB" : "\(Double(self * 10 / (1 << 20)) / 10) MB"
        }
        if self >= 1 << 10 { return "\(self / (1 << 10)) KB" }
        return self == 1 ? "1 byte" : "\(self) bytes"
    }
}
