import XCTest
final class PlaceholderReportsTests: XCTestCase {}
