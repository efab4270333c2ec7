#include "support.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace replenish::notify::test {

int closed_port() {
  // A socket bound for the life of the process but never listening: connecting to it is
  // refused, and no other test process can take the port meanwhile (closing the socket and
  // returning its number would let a parallel test bind it).
  static const int port = [] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    socklen_t length = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
      ::close(fd);
      throw std::runtime_error("bind() failed");
    }
    return static_cast<int>(ntohs(addr.sin_port));
  }();
  return port;
}

namespace {

/// True when `request` holds a whole HTTP request: its head and Content-Length bytes of body.
bool complete(const std::string& request) {
  const auto head_end = request.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = request.substr(0, head_end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto field = head.find("\r\ncontent-length:");
  const std::size_t length = field == std::string::npos ? 0 : std::stoul(head.substr(field + 17));
  return request.size() >= head_end + 4 + length;
}

}  // namespace

ResetServer::ResetServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t length = sizeof(addr);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0 ||
      ::listen(fd_, 16) != 0) {
    ::close(fd_);
    throw std::runtime_error("bind() or listen() failed");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

ResetServer::~ResetServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void ResetServer::run() {
  while (!stop_) {
    pollfd listening{fd_, POLLIN, 0};
    if (::poll(&listening, 1, 20) <= 0) continue;
    const int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) continue;
    // Read the whole request (head and Content-Length body, or a short wait), then reset: the
    // client has sent everything and waits for an answer that never comes.
    std::string request;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!complete(request) && std::chrono::steady_clock::now() < deadline) {
      pollfd readable{client, POLLIN, 0};
      if (::poll(&readable, 1, 20) <= 0) continue;
      const auto n = ::recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    linger reset{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    ++resets_;  // counted before the client can see the reset and look
    ::close(client);
  }
}

SelfSigned::SelfSigned() {
  key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  cert_ = X509_new();
  REQUIRE((key_ && cert_));
  X509_set_version(cert_, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert_), 86400);
  X509_set_pubkey(cert_, key_);
  X509_NAME* name = X509_get_subject_name(cert_);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert_, name);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert_, cert_, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "IP:127.0.0.1");
  REQUIRE(san);
  X509_add_ext(cert_, san, -1);
  X509_EXTENSION_free(san);
  REQUIRE(X509_sign(cert_, key_, EVP_sha256()) > 0);
}

SelfSigned::~SelfSigned() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

std::unique_ptr<httplib::Server> SelfSigned::server() const {
  return std::make_unique<httplib::SSLServer>(cert_, key_);
}

void SelfSigned::write_pem(const std::string& path) const {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  REQUIRE(bio);
  PEM_write_bio_X509(bio, cert_);
  BIO_free(bio);
}

}  // namespace replenish::notify::test
