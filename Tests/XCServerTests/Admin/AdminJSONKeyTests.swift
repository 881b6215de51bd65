import Testing
@testable import XCServerKit

/// The admin API writes its keys from property names; the OpenAPI contract tests hold whole answers to the
/// document, these hold the conversion itself to the cases it must get right.
@Suite struct AdminJSONKeyTests {
    @Test func propertyNamesBecomeTheDocumentedSnakeCaseKeys() {
        let cases = [
            "maxConnections": "max_connections", "accountID": "account_id", "categoryIDs": "category_ids",
            "epgChannelID": "epg_channel_id", "tvArchiveDuration": "tv_archive_duration", "rating5based": "rating5based",
            "max_connections": "max_connections", "id": "id", "hasRoom": "has_room", "URLPath": "url_path",
        ]
        for (key, snake) in cases {
            #expect(AdminJSON.snakeCase(key) == snake, "\(key)")
        }
    }
}
