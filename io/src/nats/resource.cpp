#include <string_view>
#include <tether/nats/resource.hpp>

namespace tether::nats {

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

std::expected<void, std::string> valid_bucket(const std::string& bucket) {
  if (bucket.empty()) return std::unexpected("KV bucket name is empty");
  for (const char c : bucket) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok)
      return std::unexpected("KV bucket name " + quoted(bucket) +
                             " may hold only letters, digits, '_' and '-'");
  }
  return {};
}

// `what`: "stream name", "consumer name".
std::expected<void, std::string> valid_name(std::string_view what, const std::string& name) {
  if (name.empty()) return std::unexpected(std::string(what) + " is empty");
  for (const char c : name) {
    const bool bad = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '.' || c == '*' ||
                     c == '>' || c == '/' || c == '\\' || c == '\0';
    if (bad)
      return std::unexpected(std::string(what) + " " + quoted(name) +
                             " may not hold whitespace, '.', '*', '>', '/' or '\\'");
  }
  return {};
}

}  // namespace

std::string describe(const Resource& resource) {
  return std::visit(Overload{
                        [](const KvBucket& b) { return "KV bucket " + quoted(b.bucket); },
                        [](const Stream& s) { return "stream " + quoted(s.name); },
                        [](const Consumer& c) {
                          return "consumer " + quoted(c.name) + " of stream " + quoted(c.stream);
                        },
                    },
                    resource);
}

std::expected<void, std::string> validate(const Resource& resource) {
  return std::visit(Overload{
                        [](const KvBucket& b) { return valid_bucket(b.bucket); },
                        [](const Stream& s) { return valid_name("stream name", s.name); },
                        [](const Consumer& c) {
                          auto stream = valid_name("stream name", c.stream);
                          if (!stream) return stream;
                          return valid_name("consumer name", c.name);
                        },
                    },
                    resource);
}

}  // namespace tether::nats
