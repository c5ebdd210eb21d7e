import XCTest
final class PlaceholderdescentTests: XCTestCase {}
