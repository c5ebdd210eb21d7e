import XCTest
final class PlaceholderModelsTests: XCTestCase {}
