// RSA-signature authentication (RFC 2409 5.1) between our Initiator and the Responder, with a PKI
// made in the test: the good path (CERTREQ answered, chain, ID, SIG_I and SIG_R), and each way a
// client must be refused (another CA, an expired certificate, an ID the certificate does not name,
// a signature by another key), each counted with no state change.
#include <gtest/gtest.h>

#include "l2sec/ike/protocol.hpp"
#include "l2sec/log.hpp"
#include "test_pki.hpp"
#include "two_peers.hpp"

using namespace l2sec;
using namespace l2sec::ike;
using namespace l2sec::ike::testing;

namespace {

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);
const Phase1Proposal kRsaSuite{lm::Cipher::kAesCbc128, HashAlg::kSha1, 14, AuthMethod::kRsaSig};

struct Pki {
  Pem ca, gateway, client, other_ca, stranger, expired, no_sign_usage;
  Pki() {
    ca = TestPki::make(spec("l2sec test CA", true, "", ""), nullptr);
    gateway = TestPki::make(spec("gw.l2sec.test", false, "DNS:gw.l2sec.test",
                                 "critical,digitalSignature,keyEncipherment"),
                            &ca);
    client = TestPki::make(spec("client.l2sec.test", false,
                                "DNS:client.l2sec.test,email:alice@l2sec.test", "digitalSignature"),
                           &ca);
    other_ca = TestPki::make(spec("another CA", true, "", ""), nullptr);
    stranger =
        TestPki::make(spec("client.l2sec.test", false, "DNS:client.l2sec.test", ""), &other_ca);
    expired = TestPki::make(spec("client.l2sec.test", false, "", "", -86400 * 10, -86400), &ca);
    no_sign_usage = TestPki::make(spec("client.l2sec.test", false, "", "keyEncipherment"), &ca);
  }
  static CertSpec spec(std::string cn, bool is_ca, std::string san, std::string ku,
                       long not_before = -3600, long not_after = 86400) {
    CertSpec s;
    s.cn = std::move(cn);
    s.ca = is_ca;
    s.san = std::move(san);
    s.key_usage = std::move(ku);
    s.not_before_s = not_before;
    s.not_after_s = not_after;
    return s;
  }
};

const Pki& pki() {
  static const Pki p;  // RSA key generation is slow: once per test binary
  return p;
}

Certificate cert(const std::string& pem) {
  std::string err;
  auto c = Certificate::from_pem(pem, &err);
  if (c.empty()) throw std::runtime_error(err);
  return c[0];
}
PrivateKey key(const std::string& pem) {
  std::string err;
  auto k = PrivateKey::from_pem(pem, &err);
  if (!k) throw std::runtime_error(err);
  return *k;
}

IkeConfig responder_config() {
  IkeConfig c;  // no preshared key at all
  c.ike_proposals = {kRsaSuite};
  c.ca_certs = {cert(pki().ca.cert)};
  c.certificate = cert(pki().gateway.cert);
  c.private_key = key(pki().gateway.key);
  return c;
}

InitiatorConfig initiator_config(const Pem& mine, const Pem* key_pem = nullptr) {
  auto c = TwoPeers::initiator_config("");
  c.ike = kRsaSuite;
  c.ca_certs = {cert(pki().ca.cert)};
  c.certificate = cert(mine.cert);
  c.private_key = key(key_pem ? key_pem->key : mine.key);
  return c;
}

class Quiet {
 public:
  Quiet() : old_(log::level()) { log::set_level(log::Level::kError); }
  ~Quiet() { log::set_level(old_); }

 private:
  log::Level old_;
};

// Runs the exchange and expects the responder to refuse MM5 without any state change: no IKE SA
// established, no child, the half-open SA still waiting for a good MM5.
void expect_refused(TwoPeers& net) {
  Quiet q;
  net.run(kT0);
  EXPECT_NE(net.initiator->state(), InitiatorState::kDone);
  const auto& rc = net.responder->counters();
  EXPECT_EQ(rc.ike_established, 0u);
  EXPECT_TRUE(net.rb.added.empty());
  ASSERT_EQ(net.responder->ike_sas().size(), 1u);
  EXPECT_EQ(net.responder->ike_sas()[0].state, IkeState::kMmKeSent);
}

}  // namespace

TEST(Certificates, PemFilesLoadAndKeyMatches) {
  const auto& p = pki();
  Certificate gw = cert(p.gateway.cert);
  EXPECT_TRUE(key(p.gateway.key).matches(gw));
  EXPECT_FALSE(key(p.client.key).matches(gw));
  EXPECT_NE(gw.subject_text().find("CN=gw.l2sec.test"), std::string::npos);
  EXPECT_EQ(verify_certificate(gw, {}, {cert(p.ca.cert)}), "");
  EXPECT_NE(verify_certificate(gw, {}, {cert(p.other_ca.cert)}), "");
  std::string err;
  EXPECT_TRUE(Certificate::from_pem("not a certificate", &err).empty());
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(PrivateKey::from_pem(p.gateway.cert, &err).has_value());
  EXPECT_TRUE(Certificate::load_pem_file("/nonexistent/ca.pem", &err).empty());
  EXPECT_NE(err.find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(Certificates, IdMatchesSubjectAndAltNames) {
  Certificate c = cert(pki().client.cert);
  EXPECT_TRUE(id_matches(c, c.id()));
  IdPayload fqdn{
      kIdFqdn, 0, 0,
      Bytes{'c', 'l', 'i', 'e', 'n', 't', '.', 'l', '2', 's', 'e', 'c', '.', 't', 'e', 's', 't'}};
  EXPECT_TRUE(id_matches(c, fqdn));
  fqdn.data[0] = 'x';
  EXPECT_FALSE(id_matches(c, fqdn));
  const std::string mail = "alice@l2sec.test";
  EXPECT_TRUE(id_matches(c, {kIdUserFqdn, 0, 0, Bytes(mail.begin(), mail.end())}));
  EXPECT_FALSE(id_matches(c, IdPayload::from_ipv4(kClient)));
  EXPECT_FALSE(id_matches(c, cert(pki().gateway.cert).id()));
}

TEST(Certificates, MainModeWithSignaturesBehindNat) {
  TwoPeers net(responder_config(), initiator_config(pki().client), true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  const auto& rc = net.responder->counters();
  EXPECT_EQ(rc.ike_established, 1u);
  EXPECT_EQ(rc.children_installed, 1u);
  EXPECT_EQ(rc.cert_refused + rc.id_mismatch + rc.auth_failed, 0u);
  const auto sas = net.responder->ike_sas();
  ASSERT_EQ(sas.size(), 1u);
  EXPECT_EQ(sas[0].auth, AuthMethod::kRsaSig);
  EXPECT_TRUE(sas[0].certreq);
  EXPECT_FALSE(sas[0].group_psk);
  EXPECT_NE(sas[0].peer_id.find("CN=client.l2sec.test"), std::string::npos) << sas[0].peer_id;
  EXPECT_TRUE(net.initiator->nat_detected());
  EXPECT_EQ(net.rb.sas.size(), 2u);
  EXPECT_EQ(net.ib.sas.size(), 2u);
}

TEST(Certificates, FqdnIdNamedInTheAltNameIsAccepted) {
  auto icfg = initiator_config(pki().client);
  const std::string name = "client.l2sec.test";
  icfg.id = IdPayload{kIdFqdn, 0, 0, Bytes(name.begin(), name.end())};
  TwoPeers net(responder_config(), icfg, false);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_EQ(net.responder->ike_sas().at(0).peer_id, name);
}

TEST(Certificates, CertreqInMm5LikeStrongSwanIsAnswered) {
  auto icfg = initiator_config(pki().client);
  icfg.certreq_in_mm5 = true;
  TwoPeers net(responder_config(), icfg, true);
  net.run(kT0);
  ASSERT_EQ(net.initiator->state(), InitiatorState::kDone) << net.initiator->error();
  EXPECT_TRUE(net.responder->ike_sas().at(0).certreq);
}

TEST(Certificates, NoCertificateWithoutCertreq) {
  // Without the client's CERTREQ the responder sends no CERT: our initiator, which has no local
  // copy of the gateway's certificate, cannot verify SIG_R.
  auto icfg = initiator_config(pki().client);
  icfg.send_certreq = false;
  TwoPeers net(responder_config(), icfg, false);
  Quiet q;
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  EXPECT_NE(net.initiator->error().find("certificate"), std::string::npos)
      << net.initiator->error();
  EXPECT_EQ(net.responder->counters().ike_established, 1u);
  EXPECT_FALSE(net.responder->ike_sas().at(0).certreq);
}

TEST(Certificates, ClientOfAnotherCaIsRefused) {
  TwoPeers net(responder_config(), initiator_config(pki().stranger), true);
  expect_refused(net);
  EXPECT_EQ(net.responder->counters().cert_refused, 1u);
}

TEST(Certificates, ExpiredClientCertificateIsRefused) {
  TwoPeers net(responder_config(), initiator_config(pki().expired), false);
  expect_refused(net);
  EXPECT_EQ(net.responder->counters().cert_refused, 1u);
}

TEST(Certificates, KeyUsageWithoutSignaturesIsRefused) {
  TwoPeers net(responder_config(), initiator_config(pki().no_sign_usage), false);
  expect_refused(net);
  EXPECT_EQ(net.responder->counters().cert_refused, 1u);
}

TEST(Certificates, IdNotNamedByTheCertificateIsRefused) {
  auto icfg = initiator_config(pki().client);
  const std::string name = "mallory.l2sec.test";
  icfg.id = IdPayload{kIdFqdn, 0, 0, Bytes(name.begin(), name.end())};
  TwoPeers net(responder_config(), icfg, false);
  expect_refused(net);
  EXPECT_EQ(net.responder->counters().id_mismatch, 1u);
  EXPECT_EQ(net.responder->counters().cert_refused, 0u);
}

TEST(Certificates, SignatureByAnotherKeyIsRefused) {
  TwoPeers net(responder_config(), initiator_config(pki().client, &pki().gateway), false);
  expect_refused(net);
  EXPECT_EQ(net.responder->counters().auth_failed, 1u);
  EXPECT_EQ(net.responder->counters().cert_refused, 0u);
}

TEST(Certificates, RsaOfferWithoutConfiguredCertificatesIsRefused) {
  auto rcfg = TwoPeers::responder_config();
  rcfg.ike_proposals.push_back(kRsaSuite);  // proposed, but no CA or certificate configured
  TwoPeers net(rcfg, initiator_config(pki().client), false);
  Quiet q;
  net.run(kT0);
  EXPECT_EQ(net.initiator->state(), InitiatorState::kFailed);
  EXPECT_EQ(net.responder->counters().no_proposal, 1u);
  EXPECT_TRUE(net.responder->ike_sas().empty());
}

TEST(Certificates, PskAndSignaturesSideBySide) {
  auto rcfg = responder_config();
  rcfg.group_psk[kRouter] = "group-secret";
  rcfg.ike_proposals.push_back({lm::Cipher::kAesCbc128, HashAlg::kSha1, 14});
  TwoPeers psk(rcfg, TwoPeers::initiator_config(), false);
  psk.run(kT0);
  ASSERT_EQ(psk.initiator->state(), InitiatorState::kDone) << psk.initiator->error();
  EXPECT_EQ(psk.responder->ike_sas().at(0).auth, AuthMethod::kPsk);
  TwoPeers rsa(rcfg, initiator_config(pki().client), false);
  rsa.run(kT0);
  ASSERT_EQ(rsa.initiator->state(), InitiatorState::kDone) << rsa.initiator->error();
  EXPECT_EQ(rsa.responder->ike_sas().at(0).auth, AuthMethod::kRsaSig);
}
