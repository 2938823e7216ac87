// The session world's server link: how the simulated server answers a
// client's connect, what it streams to each open connection (SSE text, cut
// at random places), and how it ends a stream.
#include <algorithm>
#include <string>
#include <tether/model/session.hpp>
#include <utility>

#include "session_world_impl.hpp"

namespace tether::sim::session_world {

using namespace tether::model;

void World::connect(std::uint32_t i, const io::ConnectRequest& request) {
  Client& c = *clients_[i];
  c.connection = ++next_connection_;
  c.server_open = false;
  c.wire = Wire{c.connection, now_ms(), false};
  c.report.connect_at_ms.push_back(now_ms());
  if (c.link.request_lost(now_ms())) return;  // no answer: the connect timeout will tell
  // The token travels as "Bearer t<id>" (what the auth port handed out).
  std::uint64_t token_id = 0;
  if (request.bearer_token.size() > 1) token_id = std::stoull(request.bearer_token.substr(1));
  oracle_.credentials_sent(i, now_ms(), token_id);
  const ConnectAnswer a = server_.answer(now_ms(), token_id, request.from, request.cursor);
  c.wire.last_arrival_ms = now_ms() + c.link.latency_ms();  // the answer leaves one latency later
  switch (a.kind) {
    case ConnectAnswer::Kind::refused:
      return send_closed(i, CloseCause::transport_error);
    case ConnectAnswer::Kind::status:
      return send_rejected(i, a.http_status, a.retry_after_ms);
    case ConnectAnswer::Kind::too_old:
      if (!scenario_.world.too_old_in_band) return send_rejected(i, 410, std::nullopt);
      send_opened(i);
      return send_signal(i, cursor_expired_type);
    case ConnectAnswer::Kind::open:
      break;
  }
  send_opened(i);
  if (c.link.half_open()) {
    c.wire.dead = true;
    return;
  }
  c.server_open = true;
  const std::uint64_t end =
      replay_end_ > 0 ? std::min(server_.head(), replay_end_) : server_.head();
  for (std::uint64_t seq = a.first_sequence; seq <= end; ++seq)
    if (server_.streams(seq)) send_event(i, seq);
  if (replay_end_ > 0 && server_.head() >= replay_end_) return end_replay(i);
  if (scenario_.world.connection_ms_max > 0 && !healed_)
    push(now_ms() + scenario_.world.connection_ms_max,
         for_client(ItemKind::connection_max, i, c.connection));
}

// --- server-to-client traffic -----------------------------------------------

void World::send(std::uint32_t i, Item item) {
  Client& c = *clients_[i];
  item.kind = ItemKind::wire;
  item.client = i;
  item.lifetime = c.epoch;
  item.connection = c.connection;
  if (auto at = c.link.carry_to_client(now_ms(), c.wire)) push(*at, std::move(item));
}

void World::send_opened(std::uint32_t i) {
  Item item;
  item.subkind = static_cast<std::uint8_t>(WireKind::opened);
  send(i, std::move(item));
}

void World::send_rejected(std::uint32_t i, std::uint16_t status,
                          std::optional<std::int64_t> retry_after_ms) {
  // A server that opens the stream first (gRPC: the status in the trailers).
  if (scenario_.world.status_after_open) send_opened(i);
  Item item;
  item.subkind = static_cast<std::uint8_t>(WireKind::rejected);
  item.http_status = status;
  item.retry_after_ms = retry_after_ms;
  send(i, std::move(item));
}

void World::send_closed(std::uint32_t i, CloseCause cause) {
  Item item;
  item.subkind = static_cast<std::uint8_t>(WireKind::closed);
  item.cause = cause;
  send(i, std::move(item));
}

// TCP keeps bytes in order but not their boundaries: the bytes arrive in one
// to three chunks cut at random places.
void World::send_bytes(std::uint32_t i, std::string bytes) {
  Client& c = *clients_[i];
  const std::int64_t cuts = bytes.size() < 2 ? 0 : c.chunk_prng.uniform(0, 2);
  std::size_t from = 0;
  for (std::int64_t k = 0; k < cuts; ++k) {
    const auto cut = static_cast<std::size_t>(c.chunk_prng.uniform(
        static_cast<std::int64_t>(from), static_cast<std::int64_t>(bytes.size()) - 1));
    if (cut <= from) continue;
    Item item;
    item.subkind = static_cast<std::uint8_t>(WireKind::bytes);
    item.bytes = bytes.substr(from, cut - from);
    send(i, std::move(item));
    from = cut;
  }
  Item item;
  item.subkind = static_cast<std::uint8_t>(WireKind::bytes);
  item.bytes = bytes.substr(from);
  send(i, std::move(item));
}

void World::send_event(std::uint32_t i, std::uint64_t seq) {
  std::string text;
  const Server::IdField field =
      scenario_.world.opaque_ids ? server_.id_field(seq) : Server::IdField::none;
  if (field == Server::IdField::reset)
    text.append("id:\n");  // SSE: an empty id resets the last event id
  if (field == Server::IdField::id) {
    const std::string id = server_.id_text(seq);
    // An id longer than the client takes: the oracle accepts the session's
    // end (Failed{unrecoverable}) on this connection, and nothing else.
    const WorldParams& world = scenario_.world;
    if (id.size() > (world.id_bytes_max > 0 ? world.id_bytes_max : model::Token::capacity))
      oracle_.oversized_id_sent(i, clients_[i]->connection, seq);
    text.append("id: ").append(id).append("\n");
  }
  text.append("data: {\"seq\":").append(std::to_string(seq)).append("}\n\n");
  send_bytes(i, std::move(text));
}

void World::send_signal(std::uint32_t i, std::string_view type) {
  send_bytes(i, std::string("event: ").append(type).append("\ndata: -\n\n"));
}

// --- the server's own happenings ------------------------------------------------

void World::on_append() {
  const std::uint64_t seq = server_.append(now_ms());
  if (server_.streams(seq) && (replay_end_ == 0 || seq <= replay_end_))
    for (std::uint32_t i = 0; i < scenario_.clients; ++i)
      if (clients_[i]->server_open) send_event(i, seq);
  if (seq == replay_end_)
    for (std::uint32_t i = 0; i < scenario_.clients; ++i)
      if (clients_[i]->server_open) end_replay(i);
  push(now_ms() + scenario_.world.append_every_ms, Item{ItemKind::append});
}

// A finite replay has been streamed to its end: the server says so and ends
// the stream.
void World::end_replay(std::uint32_t i) {
  send_signal(i, replay_finished_type);
  clients_[i]->server_open = false;
}

void World::on_heartbeat() {
  for (std::uint32_t i = 0; i < scenario_.clients; ++i)
    if (clients_[i]->server_open) send_bytes(i, ":\n");
  push(now_ms() + scenario_.world.heartbeat_every_ms, Item{ItemKind::heartbeat});
}

// The server ends client i's stream; the client learns it one latency later
// (or never, on a dead wire).
void World::drop_server_side(std::uint32_t i, CloseCause cause) {
  Client& c = *clients_[i];
  if (!c.server_open) return;
  c.server_open = false;
  send_closed(i, cause);
}

}  // namespace tether::sim::session_world
