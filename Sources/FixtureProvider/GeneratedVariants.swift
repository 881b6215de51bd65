/// Variant copies in a generated catalog (`variants: true`): about 10 % of the movies get a 4K copy and
/// 3 % a French copy, each under a stream id of its own, as real panels list them (docs/variants.md).
///
/// Copy ids follow the episodes: `base = idOffset + movies + series * episodesPerSeries + 1`; the 4K
/// copy of movie `i` is `base + 2i`, its French copy `base + 2i + 1`.
extension GeneratedCatalogLayout {
    public enum VariantCopy: Sendable, Equatable {
        case uhd, french
    }

    var variantBase: Int { idOffset + movies + series * episodesPerSeries + 1 }

    /// The variant copies movie `i` has (none unless the layout has variants).
    public func variantCopies(of i: Int) -> [VariantCopy] {
        guard variants else { return [] }
        var copies: [VariantCopy] = []
        if i % 10 == 3 { copies.append(.uhd) }
        if [7, 41, 77].contains(i % 100) { copies.append(.french) }
        return copies
    }

    public func variantCopyID(_ i: Int, _ copy: VariantCopy) -> Int { variantBase + 2 * i + (copy == .uhd ? 0 : 1) }

    /// (movie index, copy) of a variant copy's stream id.
    public func variantCopy(ofStreamID id: Int) -> (index: Int, copy: VariantCopy)? {
        let offset = id - variantBase
        guard offset >= 0, offset / 2 < movies else { return nil }
        let copy: VariantCopy = offset % 2 == 0 ? .uhd : .french
        return variantCopies(of: offset / 2).contains(copy) ? (offset / 2, copy) : nil
    }

    /// The copy's provider name: the movie's title with the copy's tag, spelled as panels do.
    func variantName(_ i: Int, _ copy: VariantCopy) -> String {
        let base = "\(Self.adjectives[i % 20]) \(Self.nouns[(i / 20) % 20]) \(i / 400 + 1) (\(movieYear(i)))"
        switch copy {
        case .uhd: return base + [" 4K", " UHD", " 2160p"][i % 3]
        case .french: return "|FR| " + base
        }
    }

    /// Every movie item's stream id with what the list shows for it (the movie, then its copies).
    func listedMovies(_ i: Int) -> [(id: Int, name: String)] {
        [(movieID(i), movieName(i))] + variantCopies(of: i).map { (variantCopyID(i, $0), variantName(i, $0)) }
    }

    /// The movie index a listed stream id (movie or variant copy) shows.
    func listedMovieIndex(ofStreamID id: Int) -> Int? {
        movieIndex(ofStreamID: id) ?? variantCopy(ofStreamID: id)?.index
    }
}
