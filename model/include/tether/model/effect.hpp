#pragma once
// Effects: what the driver must do, in order, before it feeds the next event.
// Outcomes come back as events (ConnectionOpened, CheckpointSaved, ...).

#include <cstdint>
#include <optional>
#include <tether/model/cursor.hpp>
#include <tether/model/inline_vec.hpp>
#include <tether/model/status.hpp>
#include <variant>

namespace tether::model {

// Open a new connection. At most one connection is open at a time.
struct Connect {
  std::uint32_t attempt;  // 1 for the first try after a healthy stream
  ResumeFrom from;
  Cursor cursor;  // from == cursor only
};

// Close the current connection (no-op if it already closed).
struct CloseConnection {};

// Hand a frame to the application, in order.
struct Deliver {
  std::uint64_t delivery_id;  // 1, 2, 3, ... within this process
  std::optional<std::uint64_t> sequence;
  std::uint64_t frame_ref;
};

enum class DiscardReason : std::uint8_t {
  duplicate,      // sequence <= last delivered
  not_streaming,  // arrived while no stream is open (late bytes of a closed connection)
};

// Release a frame without delivering it.
struct DiscardFrame {
  std::uint64_t frame_ref;
  std::optional<std::uint64_t> sequence;
  DiscardReason reason;
};

enum class GapCause : std::uint8_t {
  missing,         // strict detection: sequences skipped
  cursor_too_old,  // the server no longer has what follows the cursor
};

// Tell the application that events were lost: sequences [from, to]. `from` is
// unknown when nothing with a sequence was delivered or checkpointed yet; `to`
// is unknown when the server could not say how far history was lost.
struct ReportGap {
  std::optional<std::uint64_t> from_sequence;
  std::optional<std::uint64_t> to_sequence;
  GapCause cause;
};

// Persist the cursor of delivery `delivery_id`; answer with CheckpointSaved.
struct SaveCheckpoint {
  std::uint64_t delivery_id;
  Cursor cursor;
};

enum class RefreshCause : std::uint8_t {
  rejected,  // the server answered 401
  expiring,  // the token's known expiry is near
};

// Obtain new credentials; answer with AuthRefreshed or AuthRefreshFailed
// carrying `request` back, so an answer is matched to the request it answers
// (one that comes after its timeout is never taken for a newer one's).
struct RefreshAuth {
  RefreshCause cause;
  std::uint32_t request = 0;  // 1, 2, 3, ... within this session
};

// The connection status changed; render it.
struct ReportStatus {
  Status status;
};

using Effect = std::variant<Connect, CloseConnection, Deliver, DiscardFrame, ReportGap,
                            SaveCheckpoint, RefreshAuth, ReportStatus>;

// Worst case of one transition is 6: a Tick in Streaming that saves a checkpoint,
// refreshes auth and detects a half-open link which backs off with a zero delay
// (SaveCheckpoint, RefreshAuth, CloseConnection, ReportStatus, Connect,
// ReportStatus). 8 leaves headroom.
inline constexpr std::size_t effects_max = 8;
using Effects = InlineVec<Effect, effects_max>;
// Connect and SaveCheckpoint carry a cursor (up to a 1 KiB token), so a slot is
// about 1 KiB; InlineVec copies only the slots in use and a Token only its bytes.
static_assert(sizeof(Effects) <= 10 * 1024, "effects must stay cheap to return by value");

}  // namespace tether::model
