/// The SQL of a scope's variant view (docs/variants.md, "Per-login view"). An entry table (`movie`,
/// `series`) aliased `alias` carries `title_id` (the title's first entry), `quality` and `language`.
/// In `all` every served entry is listed under its own public id; in `best` only the most preferred
/// served entry of each title is, under the public id of the title's first entry, which stays the
/// same whichever variant is preferred today.
extension CatalogScope {
    /// `AND …` keeping the entries this scope lists (quality limit, and in `best` the title's best entry).
    func entryFilter(_ alias: String, table: String) -> String {
        let limit = qualityLimit(alias)
        guard variants.mode == .best else { return limit }
        return limit + " AND \(alias).id = \(bestEntry(table: table, titleID: "\(alias).title_id"))"
    }

    /// A condition with one `?`, the public id a client sent: the entry it names (`all`), or the best
    /// entry of the title it names (`best`, where any entry's id names its title).
    func entryByPublicID(_ alias: String, table: String) -> String {
        guard variants.mode == .best else { return "\(alias).public_id = ?" + qualityLimit(alias) }
        return "\(alias).id = \(bestEntry(table: table, titleID: "(SELECT p.title_id FROM \(table) p WHERE p.public_id = ?)"))"
    }

    /// The id clients are shown for the entry aliased `alias`.
    func publicIDColumn(_ alias: String, table: String) -> String {
        guard variants.mode == .best else { return "\(alias).public_id" }
        return "COALESCE((SELECT f.public_id FROM \(table) f WHERE f.id = \(alias).title_id), \(alias).public_id)"
    }

    /// `AND …` hiding the quality classes above the view's `max_quality`, or "".
    func qualityLimit(_ alias: String) -> String {
        let hidden = variants.hiddenQualities
        guard !hidden.isEmpty else { return "" }
        return " AND \(alias).quality NOT IN (\(hidden.map { "'\($0.rawValue)'" }.joined(separator: ",")))"
    }

    /// The view's preference of the entry aliased `alias` as an SQL integer, lower first (`VariantView.rank`).
    func rankSQL(_ alias: String) -> String {
        let view = variants
        // Tags are validated letters (`VariantView.init`), so inlining them is safe.
        let languages = view.languages.map { "WHEN '\($0)' THEN \(view.languageRank($0))" }.joined(separator: " ")
        let qualities = VariantKey.Quality.allCases.map { "WHEN '\($0.rawValue)' THEN \(view.qualityRank($0))" }.joined(separator: " ")
        return "((CASE \(alias).language \(languages) WHEN '' THEN \(view.languageRank(nil)) ELSE \(view.languageRank("?")) END) * 16"
            + " + (CASE \(alias).quality \(qualities) ELSE 15 END))"
    }

    /// The served entry of the title `titleID` (an SQL expression) this view prefers.
    private func bestEntry(table: String, titleID: String) -> String {
        "(SELECT x.id FROM \(table) x WHERE x.title_id = \(titleID) AND x.preferred_relation_id IS NOT NULL"
            + "\(qualityLimit("x"))\(titleFilter("x")) ORDER BY \(rankSQL("x")), x.id LIMIT 1)"
    }
}
