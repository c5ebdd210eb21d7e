import XCTest
final class PlaceholderDatasetsTests: XCTestCase {}
