/// FNV-1a over an item's raw JSON: stable across runs and processes (unlike `Hasher`), so a re-sync
/// recognises an unchanged item without decoding and rewriting it.
public enum ContentHash {
    public static func of(_ bytes: some Sequence<UInt8>) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
