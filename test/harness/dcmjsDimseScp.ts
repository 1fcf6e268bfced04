/**
 * dcmjs-dimse's SCP (from npm) as a test peer: Verification accepted, everything else refused.
 * Run as its own process, pinned to a loopback address by the harness's bind shim (its Server
 * listens on every address). Usage: node dcmjsDimseScp.js PORT
 */
import dimse from 'dcmjs-dimse';

const { Scp, Server, constants, responses } = dimse;

class VerificationScp extends Scp {
  override associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
    for (const { id } of association.getPresentationContexts()) {
      const context = association.getPresentationContext(id);
      if (context.getAbstractSyntaxUid() === constants.SopClass.Verification) {
        context.setResult(constants.PresentationContextResult.Accept, constants.TransferSyntax.ImplicitVRLittleEndian);
      } else {
        context.setResult(constants.PresentationContextResult.RejectAbstractSyntaxNotSupported);
      }
    }
    this.sendAssociationAccept();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  override cEchoRequest(
    request: InstanceType<typeof dimse.requests.CEchoRequest>,
    callback: (r: InstanceType<typeof dimse.responses.CEchoResponse>) => void,
  ): void {
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(constants.Status.Success);
    callback(response);
  }
}

new Server(VerificationScp).listen(Number(process.argv[2]));
