#include "http/gzip.hpp"
#include "gunzip.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <stdexcept>
#include <string>

namespace ke::http {
namespace {

using test::gunzip;

// Inflates one gzip member, insisting that it is complete and nothing follows it.
TEST(GzipCompress, RoundTripsEmptyInput) {
  const std::string compressed = gzip_compress("");
  EXPECT_EQ(gunzip(compressed), "");
}

TEST(GzipCompress, RoundTripsSmallInput) {
  const std::string page = "# HELP up Whether the target is up.\n# TYPE up gauge\nup 1\n";
  EXPECT_EQ(gunzip(gzip_compress(page)), page);
}

TEST(GzipCompress, RoundTripsOneMebibyteOfRandomBytes) {
  std::mt19937 generator(42);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string data(1 << 20, '\0');
  for (char& c : data) c = static_cast<char>(byte(generator));
  EXPECT_EQ(gunzip(gzip_compress(data)), data);
}

TEST(GzipCompress, WritesAGzipMember) {
  const std::string compressed = gzip_compress("x");
  ASSERT_GE(compressed.size(), 18u);  // 10-byte header, deflate data, 8-byte trailer
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  EXPECT_EQ(compressed[2], 8);  // CM = deflate
}

TEST(GzipCompress, ShrinksRepetitiveText) {
  std::string page;
  for (int i = 0; i < 1000; ++i) page += "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1234.5\n";
  const std::string compressed = gzip_compress(page);
  EXPECT_LT(compressed.size(), page.size() / 10);
  EXPECT_EQ(gunzip(compressed), page);
}

TEST(AcceptsGzip, AllowsGzipAndWildcard) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("deflate,gzip"));
  EXPECT_TRUE(accepts_gzip("identity, *"));
}

TEST(AcceptsGzip, HonoursPositiveQValues) {
  EXPECT_TRUE(accepts_gzip("gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("gzip; q=0.001"));
  EXPECT_TRUE(accepts_gzip("gzip ;Q=1"));
  EXPECT_TRUE(accepts_gzip("gzip;q=1.000"));
  EXPECT_TRUE(accepts_gzip("identity;q=1, gzip;q=0.1"));
  EXPECT_TRUE(accepts_gzip("*;q=0.3"));
  EXPECT_TRUE(accepts_gzip("gzip;level=9;q=0.8"));
}

TEST(AcceptsGzip, RefusesWhatIsNotAllowed) {
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzipper"));
}

TEST(AcceptsGzip, ExplicitGzipRefusalBeatsWildcard) {
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *;q=1"));
  EXPECT_TRUE(accepts_gzip("gzip, *;q=0"));
}

TEST(AcceptsGzip, TreatsMalformedQValuesAsZero) {
  EXPECT_FALSE(accepts_gzip("gzip;q="));
  EXPECT_FALSE(accepts_gzip("gzip;q=abc"));
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.5000"));
  EXPECT_FALSE(accepts_gzip("gzip;q=1.5"));
}

}  // namespace
}  // namespace ke::http
