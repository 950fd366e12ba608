#include "cohort/exec/run_session.h"

#include "cohort/exec/signing.h"

namespace cohort::exec {

Result<RunRequest> signed_run_request(SSL_CTX* tls, RunSpec spec) {
  X509* certificate = SSL_CTX_get0_certificate(tls);
  EVP_PKEY* key = SSL_CTX_get0_privatekey(tls);
  if (certificate == nullptr || key == nullptr) {
    return Error(Errc::invalid_argument,
                 "no certificate and key to sign the run with (give --cert and --key)");
  }
  RunRequest request;
  auto der = certificate_der(certificate);
  if (!der) return der.error();
  auto signature = sign_bytes(key, signed_body(spec));
  if (!signature) return signature.error();
  request.user_cert_der = std::move(*der);
  request.signature = std::move(*signature);
  for (std::uint32_t node = 0; node < spec.nodes.size(); ++node) request.subtree.push_back(node);
  request.spec = std::move(spec);
  return request;
}

Result<std::unique_ptr<RunSession>> RunSession::start(EventLoop& loop, SSL_CTX* tls, RunSpec spec,
                                                      Duration connect_timeout, Callbacks callbacks) {
  std::unique_ptr<RunSession> session(new RunSession(std::move(callbacks)));
  session->stdin_target_ = spec.stdin_target;
  auto request = signed_run_request(tls, std::move(spec));
  if (!request) return request.error();
  RunSession* self = session.get();
  RunBranches::Callbacks fan_out;
  fan_out.on_event = [self](const RankEvent& event, const Buffer&) { self->event(event); };
  fan_out.on_input_writable = [self] {
    if (self->callbacks_.on_stdin_writable) self->callbacks_.on_stdin_writable();
  };
  session->branches_ =
      std::make_unique<RunBranches>(loop, tls, std::move(*request), connect_timeout, std::move(fan_out));
  session->branches_->start();
  return session;
}

bool RunSession::send_stdin(ByteView bytes) {
  if (stdin_target_ == StdinTarget::none) return true;
  std::uint32_t rank = stdin_target_ == StdinTarget::all ? kAllRanks : 0;
  bool flowing = true;
  for (StreamChunk& chunk : stdin_chunks(bytes)) {
    flowing = branches_->send_input(RankInput{rank, std::move(chunk)}) && flowing;
  }
  return flowing;
}

void RunSession::signal(int signal) {
  (void)branches_->send_input(RankInput{kAllRanks, SignalTask{static_cast<std::uint8_t>(signal)}});
}

void RunSession::event(const RankEvent& event) {
  if (const auto* chunk = std::get_if<StreamChunk>(&event.event)) {
    if (!chunk->bytes.empty()) callbacks_.on_output(event.rank, chunk->stream, chunk->bytes);
  } else if (const auto* exit = std::get_if<TaskExit>(&event.event)) {
    callbacks_.on_exit(event.rank, *exit);
  } else if (const auto* refusal = std::get_if<Refusal>(&event.event)) {
    callbacks_.on_failure(event.rank, failure_from(*refusal));
  }
}

}  // namespace cohort::exec
