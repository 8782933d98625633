import Foundation

/// The paging of a list page, as the seed's lists had it: `page` and `per_page` in the URL,
/// 20 / 50 / 100 / 500 / 1000 per page offered, `per_page` held to 10–2000 (anything else is 20),
/// and the page's filters kept in every link.
struct PageWindow: Sendable {
    static let choices = [20, 50, 100, 500, 1000]
    var page: Int
    var perPage: Int

    var offset: Int { (page - 1) * perPage }

    init(page: Int, perPage: Int) {
        self.page = page
        self.perPage = perPage
    }

    init(_ request: PageRequest) {
        let perPage = request.query("per_page").flatMap(Int.init).flatMap { (10...2000).contains($0) ? $0 : nil } ?? 20
        let page = request.query("page").flatMap(Int.init).map { max(1, min($0, 1_000_000)) } ?? 1
        self.init(page: page, perPage: perPage)
    }

    /// The pager under a list: `total` when known (otherwise `hasMore` says whether a next page
    /// exists), `path` and `filters` to build the links.
    func pager(path: String, filters: [(String, String)], shown: Int, total: Int?, hasMore: Bool) -> Pager {
        func link(_ page: Int, _ perPage: Int) -> String {
            let items = filters + [("page", String(page)), ("per_page", String(perPage))]
            return path + "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "")" }
                .joined(separator: "&")
        }
        let pages = total.map { max(1, ($0 + perPage - 1) / perPage) }
        let more = pages.map { page < $0 } ?? hasMore
        let first = shown == 0 ? 0 : offset + 1
        return Pager(
            summary: total.map { "\(first)–\(offset + shown) of \($0)" } ?? (shown == 0 ? "none" : "\(first)–\(offset + shown)"),
            previous: page > 1 ? link(page - 1, perPage) : nil, next: more ? link(page + 1, perPage) : nil,
            page: page, pages: pages,
            sizes: Self.choices.map { Pager.Size(value: $0, selected: $0 == perPage, href: link(1, $0)) },
            hiddenFilters: filters.map { Pager.Field(name: $0.0, value: $0.1) })
    }
}

/// The pager's view model.
struct Pager: Sendable {
    var summary: String
    var previous: String?
    var next: String?
    var page: Int
    var pages: Int?
    var sizes: [Size]
    /// The filters, as hidden fields of the per-page form.
    var hiddenFilters: [Field]

    struct Size: Sendable {
        var value: Int
        var selected: Bool
        var href: String
    }

    struct Field: Sendable {
        var name: String
        var value: String
    }
}
