// Thumbnail: an image file's bytes for a result grid — as they are when small, else scaled down
// and encoded as JPEG — and the media type of image bytes.

import Corpus
import Foundation
import ImageNet

public enum Thumbnail {
  public static func bytes(_ url: URL, longestSide: Int) throws -> (Data, String) {
    let data = try Data(contentsOf: url)
    let image: RGBImage
    do { image = try ImageFile.decode(data) } catch { throw SearchError(.notFound, "\(url.lastPathComponent): not a readable image: \(error)") }
    guard max(image.width, image.height) > longestSide else { return (data, mediaType(data)) }
    return (try JPEG.encode(Preprocessing.thumbnail(image, longestSide: longestSide), quality: 85), "image/jpeg")
  }

  public static func mediaType(_ data: Data) -> String {
    switch ImageFile.format(of: data) {
    case .jpeg: return "image/jpeg"
    case .png: return "image/png"
    case .webp: return "image/webp"
    case nil: return "application/octet-stream"
    }
  }
}
