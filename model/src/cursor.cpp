#include <algorithm>
#include <tether/model/cursor.hpp>

namespace tether::model {

std::expected<Token, Token::Error> Token::make(std::string_view text) {
  if (text.size() > capacity) return std::unexpected(Error::too_long);
  Token t;
  std::copy(text.begin(), text.end(), t.bytes_);
  t.size_ = static_cast<std::uint16_t>(text.size());
  return t;
}

}  // namespace tether::model
