//===- ImageFolder.cpp - A folder of images, one subfolder per class ------===//
//
// Part of Ember. The folder is listed as torchvision's ImageFolder lists it;
// images are decoded on demand with libpng and libjpeg, each set up to give
// what PIL's Image.open(path).convert("RGB") gives (no gamma or colour
// management, alpha dropped rather than composited). Both libraries report
// errors by longjmp: the decoders below keep no C++ object alive across it.
//
//===----------------------------------------------------------------------===//

#include "ember/data/ImageFolder.h"

#include "ember/frontend/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include <jpeglib.h>
#include <png.h>

namespace ember::data {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string &what, std::source_location loc) {
  throw Error(fmt::format("ImageFolder: {} (at {}:{})", what, loc.file_name(),
                          loc.line()));
}

/// torchvision's IMG_EXTENSIONS, and which of them Ember decodes.
bool isImage(const fs::path &path, bool &decodable) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  decodable = ext == ".png" || ext == ".jpg" || ext == ".jpeg";
  return decodable || ext == ".ppm" || ext == ".bmp" || ext == ".pgm" ||
         ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

/// The most pixels an image may have (8192 x 8192): a header is checked
/// before the pixels are allocated.
constexpr uint64_t kMaxPixels = uint64_t(1) << 26;

std::string tooLarge(uint32_t width, uint32_t height) {
  return fmt::format("an image of {} x {} pixels, more than the {} Ember "
                     "reads",
                     width, height, kMaxPixels);
}

struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};

//===----------------------------------------------------------------------===//
// PNG
//===----------------------------------------------------------------------===//

struct PngError {
  std::jmp_buf jump;
  char message[256] = "";
};

void pngError(png_structp png, png_const_charp message) {
  auto *e = static_cast<PngError *>(png_get_error_ptr(png));
  std::snprintf(e->message, sizeof(e->message), "%s", message);
  std::longjmp(e->jump, 1);
}

void pngWarning(png_structp, png_const_charp) {}

/// Decodes into `rgb` (resized here); returns "" or what is wrong.
std::string decodePng(FILE *file, std::vector<uint8_t> &rgb,
                      std::vector<png_bytep> &rows, uint32_t &width,
                      uint32_t &height) {
  PngError error;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error,
                                           pngError, pngWarning);
  if (!png)
    return "cannot start libpng";
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return "cannot start libpng";
  }
  if (setjmp(error.jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return std::string("not a valid PNG file: ") + error.message;
  }
  png_init_io(png, file);
  png_read_info(png, info);
  width = png_get_image_width(png, info);
  height = png_get_image_height(png, info);
  if (uint64_t(width) * height > kMaxPixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return tooLarge(width, height);
  }
  int depth = png_get_bit_depth(png, info);
  int type = png_get_color_type(png, info);
  if (depth == 16) {
    png_destroy_read_struct(&png, &info, nullptr);
    return "a 16-bit PNG (PIL converts those its own way; save it with 8 "
           "bits per channel)";
  }
  if (type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(png);
  // An alpha channel is dropped, as is a palette's transparency (which
  // expanding the palette would otherwise make one).
  if ((type & PNG_COLOR_MASK_ALPHA) ||
      (type == PNG_COLOR_TYPE_PALETTE &&
       png_get_valid(png, info, PNG_INFO_tRNS)))
    png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != size_t(width) * 3) {
    png_destroy_read_struct(&png, &info, nullptr);
    return "an unexpected PNG layout";
  }
  rgb.resize(size_t(width) * height * 3);
  rows.resize(height);
  for (uint32_t r = 0; r < height; ++r)
    rows[r] = rgb.data() + size_t(r) * width * 3;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return "";
}

//===----------------------------------------------------------------------===//
// JPEG
//===----------------------------------------------------------------------===//

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
};

void jpegError(j_common_ptr info) {
  auto *e = reinterpret_cast<JpegError *>(info->err);
  (*info->err->format_message)(info, e->message);
  std::longjmp(e->jump, 1);
}

std::string decodeJpeg(FILE *file, std::vector<uint8_t> &rgb, uint32_t &width,
                       uint32_t &height) {
  jpeg_decompress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = jpegError;
  error.manager.output_message = [](j_common_ptr) {};
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    return std::string("not a valid JPEG file: ") + error.message;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  // Before jpeg_start_decompress, which allocates for the whole image.
  if (uint64_t(info.image_width) * info.image_height > kMaxPixels) {
    uint32_t w = info.image_width, h = info.image_height;
    jpeg_destroy_decompress(&info);
    return tooLarge(w, h);
  }
  info.mem->max_memory_to_use = long(kMaxPixels) * 16;
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&info);
    return "a CMYK JPEG (PIL converts those its own way)";
  }
  // PIL's settings: libjpeg's defaults (accurate integer IDCT, fancy
  // upsampling), RGB out (grey repeated in the three channels).
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  width = info.output_width;
  height = info.output_height;
  if (uint64_t(width) * height > kMaxPixels) {
    jpeg_destroy_decompress(&info);
    return tooLarge(width, height);
  }
  if (info.output_components != 3) {
    jpeg_destroy_decompress(&info);
    return "an unexpected JPEG layout";
  }
  rgb.resize(size_t(width) * height * 3);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = rgb.data() + size_t(info.output_scanline) * width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return "";
}

} // namespace

Tensor read_image_rgb(const fs::path &path, std::source_location loc) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    fail(fmt::format("cannot open '{}': {}", path.string(),
                     std::strerror(errno)),
         loc);
  unsigned char magic[8] = {};
  size_t got = std::fread(magic, 1, sizeof(magic), file.get());
  std::rewind(file.get());
  // (Declared here: the decoders longjmp, and no object of theirs may
  // change between their setjmp and a longjmp.)
  std::vector<uint8_t> rgb;
  std::vector<png_bytep> rows;
  uint32_t width = 0, height = 0;
  std::string why;
  if (got == 8 && png_sig_cmp(magic, 0, 8) == 0)
    why = decodePng(file.get(), rgb, rows, width, height);
  else if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff)
    why = decodeJpeg(file.get(), rgb, width, height);
  else
    why = "neither a PNG nor a JPEG file (Ember decodes those two)";
  if (why.empty() && (width == 0 || height == 0))
    why = "an image without pixels";
  if (!why.empty())
    fail(fmt::format("'{}': {}", path.string(), why), loc);
  Tensor image =
      empty({static_cast<int64_t>(height), static_cast<int64_t>(width), 3},
            DType::UInt8);
  std::memcpy(image.data_ptr<uint8_t>(), rgb.data(), rgb.size());
  return image;
}

ImageFolder::ImageFolder(fs::path root, Options options, Loc loc)
    : transform_(std::move(options.transform)),
      targetTransform_(std::move(options.target_transform)) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    fail(fmt::format("'{}' is not a folder", root.string()), loc);
  for (const fs::directory_entry &entry : fs::directory_iterator(root, ec))
    if (entry.is_directory())
      classes_.push_back(entry.path().filename().string());
  if (ec)
    fail(fmt::format("cannot list '{}': {}", root.string(), ec.message()), loc);
  std::sort(classes_.begin(), classes_.end());
  if (classes_.empty())
    fail(fmt::format("'{}' has no class folders", root.string()), loc);
  for (size_t c = 0; c < classes_.size(); ++c) {
    classToIdx_[classes_[c]] = static_cast<int64_t>(c);
    // (directory, file name) pairs: os.walk's folders sorted, then each
    // folder's files sorted, as torchvision's make_dataset.
    std::vector<std::pair<std::string, std::string>> files;
    fs::path dir = root / classes_[c];
    for (auto it = fs::recursive_directory_iterator(
             dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory())
        continue;
      bool decodable = false;
      if (!isImage(it->path(), decodable))
        continue;
      if (!decodable)
        fail(fmt::format("'{}' is an image torchvision would load, in a "
                         "format Ember does not decode (PNG and JPEG only); "
                         "convert it or move it out",
                         it->path().string()),
             loc);
      files.emplace_back(it->path().parent_path().string(),
                         it->path().filename().string());
    }
    if (ec)
      fail(fmt::format("cannot list '{}': {}", dir.string(), ec.message()),
           loc);
    if (files.empty())
      fail(fmt::format("the class folder '{}' holds no image (.png, .jpg, "
                       ".jpeg)",
                       dir.string()),
           loc);
    std::sort(files.begin(), files.end());
    for (const auto &[parent, name] : files)
      samples_.emplace_back(fs::path(parent) / name, static_cast<int64_t>(c));
  }
}

Example ImageFolder::get(int64_t index) const {
  int64_t n = size();
  int64_t i = index < 0 ? index + n : index;
  if (i < 0 || i >= n)
    throw Error(fmt::format("ImageFolder: index {} is out of range for a "
                            "dataset of {} samples",
                            index, n));
  Tensor image = read_image_rgb(samples_[i].first);
  Tensor label = empty({}, DType::Int64);
  *label.data_ptr<int64_t>() = samples_[i].second;
  return {transform_(image), targetTransform_(label)};
}

} // namespace ember::data
