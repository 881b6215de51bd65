/// The three catalogs a provider serves; categories and ids are separate per kind.
public enum CatalogKind: String, Sendable, Codable, CaseIterable {
    case movie
    case series
    case live
}
