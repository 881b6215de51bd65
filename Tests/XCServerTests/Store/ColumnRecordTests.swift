import Foundation
import GRDB
import Testing
@testable import XCModels
@testable import XCServerKit

/// Row records read by `Decodable` find each column under its property's name (`ColumnRecord`); these hold
/// the column-to-property rule to the project's names and check that it undoes the admin API's snake_case.
@Suite struct ColumnRecordTests {
    static let cases = [
        "id": "id", "public_id": "publicID", "category_ids": "categoryIDs", "title_tmdb": "titleTMDB", "custom_sid": "customSID",
        "base_url": "baseURL", "rating_5based": "rating5based", "entry_public_id": "entryPublicID", "max_connections": "maxConnections",
        "epg_channel_id": "epgChannelID", "tv_archive_duration": "tvArchiveDuration", "container_extension": "containerExtension",
    ]

    @Test func columnsNameTheirProperties() {
        for (column, property) in Self.cases {
            #expect(ColumnName.propertyName(column) == property, "\(column)")
        }
    }

    /// But for a digit, which the admin keys do not split off (`rating5based`, as XC writes it).
    @Test func theAdminSnakeCaseOfThePropertyIsTheColumn() {
        for column in Self.cases.keys where column != "rating_5based" {
            #expect(AdminJSON.snakeCase(ColumnName.propertyName(column)) == column, "\(column)")
        }
    }

    struct Probe: ColumnRecord, Equatable {
        var publicID: Int64
        var categoryIDs: String
        var titleTMDB: String?
        var rating5based: Double
    }

    @Test func aRecordIsReadFromItsSnakeCaseColumns() throws {
        let db = try DatabaseQueue()
        let rows = try db.read { db in
            try Probe.fetchAll(db, sql: """
                SELECT 7 AS public_id, '[1]' AS category_ids, NULL AS title_tmdb, 4.5 AS rating_5based, 'x' AS unused
                """)
        }
        #expect(rows == [Probe(publicID: 7, categoryIDs: "[1]", titleTMDB: nil, rating5based: 4.5)])
    }
}
