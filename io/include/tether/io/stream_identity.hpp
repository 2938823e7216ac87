#pragma once
// The identity of a stream, as a checkpoint records it: which stream a cursor
// belongs to. A cursor is only meaningful for the stream that produced it (a
// sequence of one nchan channel resumed on another skips or replays at random),
// so FileCheckpointStore refuses a checkpoint written for another identity
// (FileCheckpointOptions::stream).
//
//   stream_identity("https://u:pw@Example.com/sub/orders?access_token=x&b=1#f", "json:seq", "")
//     == "https://example.com:443/sub/orders?access_token&b seq=json:seq"
//
// Built from:
//   - the URL as scheme://host:port/path: scheme and host in lower case, the
//     scheme's default port written out, no userinfo, no fragment, and of the
//     query only its parameter names, sorted and without duplicates. Query
//     VALUES are left out on purpose: they are often credentials or rotating
//     tokens (?access_token=...), which must never reach a checkpoint file, and
//     which change between two runs on the same stream. Bytes below 0x21, 0x7F
//     and above are written %XX;
//   - the sequence source (tether-watch's --seq-from, e.g. "json:seq"; empty
//     becomes "none"): the same stream numbered another way is another stream
//     of cursors;
//   - an optional key (tether-watch's --checkpoint-key), for when something the
//     identity leaves out selects the stream (a query value, a header, a
//     request body). Stored as given: it must not be a secret.
//
// The result is "<url> seq=<source>" or "<url> seq=<source> key=<key>". It is
// compared as bytes, so the same command line always gives the same identity;
// the URL is normalised only as far as that needs (http://Host/x and
// http://host:80/x are one stream). It never fails: a URL that does not parse is
// used as written (without userinfo, query values or fragment); the runner
// refuses such a URL anyway. An identity longer than stream_identity_bytes_max
// keeps its first bytes and ends in " #" and 16 hex digits of a 64-bit hash
// (FNV-1a) of the whole, so it still fits in a checkpoint file and still tells
// two streams apart.

#include <cstddef>
#include <string>
#include <string_view>

namespace tether::io {

// The longest identity a checkpoint file holds (checkpoint_stream_bytes_max).
inline constexpr std::size_t stream_identity_bytes_max = 1024;

std::string stream_identity(std::string_view url, std::string_view sequence_source,
                            std::string_view key = {});

}  // namespace tether::io
