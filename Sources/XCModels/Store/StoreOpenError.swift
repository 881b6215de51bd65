import Foundation
import GRDB

/// Why the database file could not be opened, naming the path and what to change, instead of
/// Foundation's `NSCocoaErrorDomain Code=512` or SQLite's `error 14`/`error 26`.
public enum StoreOpenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A command that only reads (or needs what was added before) found no file there.
    case missing(path: String)
    /// The path names a directory, not a file.
    case isADirectory(path: String)
    /// A component of the path's directory is a file, so the directory cannot exist.
    case parentIsAFile(path: String, file: String)
    /// The directory (to create, or to write the file and its `-wal`/`-shm` companions in) is not writable.
    case notWritable(path: String, directory: String)
    /// The file exists and is not an SQLite database.
    case notADatabase(path: String)
    /// Anything else SQLite or the file system refused, with their words.
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no database at \(path): check --db (or $XC_DB); `xcserver account add --db \(path) …` creates it"
        case .isADirectory(let path):
            return "\(path) is a directory: give --db a file path, such as \(URL(fileURLWithPath: path).appendingPathComponent("xcserver.sqlite").path)"
        case .parentIsAFile(let path, let file):
            return "cannot create the database \(path): \(file) is a file, not a directory; choose another --db path"
        case .notWritable(let path, let directory):
            return "cannot write the database \(path): no write permission in \(directory); choose another --db path or fix the permissions"
        case .notADatabase(let path):
            return "\(path) is not an SQLite database (another program's file?); choose another --db path"
        case .cannotOpen(let path, let reason):
            return "cannot open the database \(path): \(reason)"
        }
    }

    /// Checks the path before SQLite sees it, so each mistake gets its own sentence; creates the
    /// directory when `create` allows. Returns normally when opening may proceed.
    static func check(_ path: String, create: Bool) throws(StoreOpenError) {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw .isADirectory(path: path) }
            return
        }
        guard create else { throw .missing(path: path) }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        // The nearest existing ancestor decides: a file there means the directory can never be made.
        var ancestor = directory
        while !files.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), ancestor.path != "/" {
            ancestor.deleteLastPathComponent()
        }
        if !isDirectory.boolValue { throw .parentIsAFile(path: path, file: ancestor.path) }
        // Where the file (or the first missing directory) is to be made.
        guard access(ancestor.path, W_OK) == 0 else { throw .notWritable(path: path, directory: ancestor.path) }
        do {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: path, reason: "cannot create its directory \(directory.path)")
        }
    }

    /// SQLite's refusal, in the path's terms.
    static func from(_ error: DatabaseError, path: String) -> StoreOpenError {
        switch error.resultCode {
        case .SQLITE_NOTADB: return .notADatabase(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM:
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if access(directory, W_OK) != 0 || access(path, W_OK) != 0 { return .notWritable(path: path, directory: directory) }
            return .cannotOpen(path: path, reason: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        default:
            return .cannotOpen(path: path, reason: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
    }
}
