/**
 * dcmjs-dimse's SCP (from npm) as a test peer: Verification accepted, everything else refused.
 * Run as its own process, pinned to a loopback address by the harness's bind shim (its Server
 * listens on every address). Usage: node dcmjsDimseScp.js PORT [AE]: with AE, any other called AE
 * title is refused as dcmjs-dimse's own SCP examples do (permanent, service user, reason 7).
 */
import dimse from 'dcmjs-dimse';

const { Scp, Server, constants, responses } = dimse;

const ownAe = process.argv[3];

class VerificationScp extends Scp {
  override associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
    if (ownAe !== undefined && association.getCalledAeTitle() !== ownAe) {
      const { RejectResult, RejectSource, RejectReason } = constants;
      this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
      return;
    }
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
