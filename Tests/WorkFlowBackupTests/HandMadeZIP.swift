import Foundation

/// ZIP files written byte by byte, the way Python's `zipfile.writestr` writes them (stored
/// entries, made by "Unix", external attributes `0o600 << 16`, the UTF-8 flag only for
/// non-ASCII names), so that tests can build the seed's backups and archives no well-behaved
/// library would write: `../` paths, absolute paths, sizes that lie.
struct HandMadeZIP {
    private var body = Data()
    private var directory = Data()
    private var count = 0

    /// Adds a stored entry. `declaredSize` overrides the size written in the headers.
    mutating func add(_ path: String, _ contents: Data, declaredSize: UInt32? = nil) {
        let name = Data(path.utf8)
        let flags: UInt16 = path.utf8.contains(where: { $0 >= 0x80 }) ? 0x0800 : 0
        let crc = Self.crc32(contents)
        let size = UInt32(contents.count)
        let offset = UInt32(body.count)
        // 2026-02-25 10:00:00 in MS-DOS date and time.
        let time: UInt16 = (10 << 11)
        let date: UInt16 = ((2026 - 1980) << 9) | (2 << 5) | 25

        // The fields local headers and central directory entries share, from "version needed" on.
        var shared = Data()
        shared.le16(20)
        shared.le16(flags)
        shared.le16(0)
        shared.le16(time)
        shared.le16(date)
        shared.le32(crc)
        shared.le32(size)
        shared.le32(declaredSize ?? size)
        shared.le16(UInt16(name.count))
        shared.le16(0)

        var local = Data()
        local.le32(0x0403_4b50)
        body += local + shared + name + contents

        var central = Data()
        central.le32(0x0201_4b50)
        central.le16((3 << 8) | 20)
        central += shared
        central.le16(0)
        central.le16(0)
        central.le16(0)
        central.le32(UInt32(0o600) << 16)
        central.le32(offset)
        directory += central + name
        count += 1
    }

    mutating func add(_ path: String, _ text: String) {
        add(path, Data(text.utf8))
    }

    var data: Data {
        var end = Data()
        end.le32(0x0605_4b50)
        end.le16(0)
        end.le16(0)
        end.le16(UInt16(count))
        end.le16(UInt16(count))
        end.le32(UInt32(directory.count))
        end.le32(UInt32(body.count))
        end.le16(0)
        return body + directory + end
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
        }
        return ~crc
    }
}

extension Data {
    fileprivate mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    fileprivate mutating func le32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
