// Issue 13: Java's SunPKCS11 provider over the Strongroom module. Lists the KeyStore, signs with SHA256withRSA,
// RSASSA-PSS and SHA256withECDSA (signatures written to files for the test to check with the plain public key),
// and decrypts RSA/ECB/PKCS1Padding data encrypted with the certificate's public key by the default provider.
// Usage: java StrongroomJca.java <sunpkcs11.cfg> <out-dir> <rsa-alias> <ec-alias>
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.*;
import java.security.cert.Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Collections;
import javax.crypto.Cipher;

public class StrongroomJca {
  public static void main(String[] args) throws Exception {
    Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
    Security.addProvider(p);
    Path out = Path.of(args[1]);
    KeyStore ks = KeyStore.getInstance("PKCS11", p);
    ks.load(null, null);
    for (String alias : Collections.list(ks.aliases())) {
      System.out.println("alias " + alias + " key=" + ks.isKeyEntry(alias) + " cert=" + (ks.getCertificate(alias) != null));
    }
    byte[] data = "signed by Java through SunPKCS11\n".getBytes();
    PrivateKey rsa = (PrivateKey) ks.getKey(args[2], null);
    PrivateKey ec = (PrivateKey) ks.getKey(args[3], null);
    Certificate rsaCert = ks.getCertificate(args[2]);

    Signature s = Signature.getInstance("SHA256withRSA", p);
    s.initSign(rsa);
    s.update(data);
    Files.write(out.resolve("java-rs256.sig"), s.sign());

    Signature pss = Signature.getInstance("RSASSA-PSS", p);
    pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
    pss.initSign(rsa);
    pss.update(data);
    Files.write(out.resolve("java-ps256.sig"), pss.sign());

    Signature es = Signature.getInstance("SHA256withECDSA", p);
    es.initSign(ec);
    es.update(data);
    Files.write(out.resolve("java-es256.sig"), es.sign());

    Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    enc.init(Cipher.ENCRYPT_MODE, rsaCert.getPublicKey());
    byte[] ct = enc.doFinal("a secret for the token".getBytes());
    Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
    dec.init(Cipher.DECRYPT_MODE, rsa);
    System.out.println("decrypted " + new String(dec.doFinal(ct)));

    // Verification through the provider too (the module verifies locally with the cached public key).
    Signature v = Signature.getInstance("SHA256withECDSA", p);
    v.initVerify(ks.getCertificate(args[3]).getPublicKey());
    v.update(data);
    System.out.println("p11-verify " + v.verify(Files.readAllBytes(out.resolve("java-es256.sig"))));
    System.out.println("done");
  }
}
