#include "nats_server.hpp"

#include <fcntl.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include "io/integration/raw_socket.hpp"

namespace tether::nats::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path NatsServer::binary(std::string* problem) {
#ifdef TETHER_NATS_SERVER
  const fs::path path = TETHER_NATS_SERVER;
  if (::access(path.c_str(), X_OK) == 0) return path;
  if (problem != nullptr) *problem = path.string() + " is not executable";
#else
  if (problem != nullptr)
    *problem = "nats-server was not found at configure time (scripts/install-deps.sh installs it)";
#endif
  return {};
}

NatsServer::NatsServer(fs::path dir) : dir_(std::move(dir)), port_(io::testing::pick_free_port()) {
  fs::create_directories(dir_ / "store");
}

NatsServer::~NatsServer() {
  if (running()) kill9();
}

NatsServer::Started NatsServer::start() {
  std::string problem;
  const fs::path program = binary(&problem);
  if (program.empty()) throw std::runtime_error(problem);
  const std::string port = std::to_string(port_);
  const std::string store = (dir_ / "store").string();
  const std::string log = (dir_ / "nats-server.log").string();
  std::vector<std::string> args{
      program.string(), "-js", "-a", "127.0.0.1", "-p", port, "-sd", store};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  const auto launched = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test process
    if (::getppid() != parent) ::_exit(1);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed for nats-server");
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!io::testing::can_connect(port_, 100ms)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nats-server exited at start:\n" + log_tail());
    }
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error("nats-server did not accept on port " + port + " in 10 s:\n" +
                               log_tail());
    std::this_thread::sleep_for(5ms);
  }
  return {launched, std::chrono::steady_clock::now()};
}

void NatsServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string NatsServer::log_tail(std::size_t max_bytes) const {
  std::ifstream in(dir_ / "nats-server.log", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

namespace admin {

namespace {

void check(natsStatus status, const std::string& what) {
  if (status == NATS_OK) return;
  const char* detail = nats_GetLastError(nullptr);
  throw std::runtime_error(what + ": " + natsStatus_GetText(status) +
                           (detail != nullptr ? std::string(" (") + detail + ")" : ""));
}

// One connection and JetStream context for one call.
struct Session {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  explicit Session(std::uint16_t port) {
    const std::string url = "nats://127.0.0.1:" + std::to_string(port);
    check(natsConnection_ConnectTo(&nc, url.c_str()), "admin connect to " + url);
    check(natsConnection_JetStream(&js, nc, nullptr), "admin JetStream context");
  }
  ~Session() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

}  // namespace

void create_bucket(std::uint16_t port, const std::string& bucket) {
  Session s(port);
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = bucket.c_str();
  config.History = 1;
  config.StorageType = js_FileStorage;
  kvStore* kv = nullptr;
  check(js_CreateKeyValue(&kv, s.js, &config), "create KV bucket " + bucket);
  kvStore_Destroy(kv);
}

void delete_bucket(std::uint16_t port, const std::string& bucket) {
  Session s(port);
  check(js_DeleteKeyValue(s.js, bucket.c_str()), "delete KV bucket " + bucket);
}

std::uint64_t put(std::uint16_t port, const std::string& bucket, const std::string& key,
                  const std::string& value) {
  Session s(port);
  kvStore* kv = nullptr;
  check(js_KeyValue(&kv, s.js, bucket.c_str()), "open KV bucket " + bucket);
  std::uint64_t revision = 0;
  const natsStatus status = kvStore_PutString(&revision, kv, key.c_str(), value.c_str());
  kvStore_Destroy(kv);
  check(status, "put " + key + " in " + bucket);
  return revision;
}

void create_stream(std::uint16_t port, const std::string& stream, const std::string& subject) {
  Session s(port);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  const char* subjects[] = {subject.c_str()};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  jsStreamInfo* info = nullptr;
  check(js_AddStream(&info, s.js, &config, nullptr, nullptr), "create stream " + stream);
  jsStreamInfo_Destroy(info);
}

void create_consumer(std::uint16_t port, const std::string& stream, const std::string& durable) {
  Session s(port);
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.AckPolicy = js_AckExplicit;
  jsConsumerInfo* info = nullptr;
  check(js_AddConsumer(&info, s.js, stream.c_str(), &config, nullptr, nullptr),
        "create consumer " + durable + " of " + stream);
  jsConsumerInfo_Destroy(info);
}

}  // namespace admin

}  // namespace tether::nats::testing
