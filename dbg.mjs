import { tcpConnect } from './dist/src/net/connect.js';
import { newChannel, associateRq } from './dist/src/probes/dicom/negotiation.js';
import { requestAssociation, Association } from './dist/src/dicom/association.js';
import { encodeIdentifier } from './dist/src/dicom/dataset.js';
const c = await tcpConnect('127.0.77.2', 4242, 2000);
const ch = newChannel(c.socket, 2000);
const rq = associateRq('ORTHANC', 'OPENDOOR', [{ id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2.1','1.2.840.10008.1.2'] }]);
const ac = await requestAssociation(ch, rq); console.log(ac.type, JSON.stringify(ac.presentationContexts));
const a = new Association(ch, rq, ac);
const ts = ac.presentationContexts[0].transferSyntax;
const id = encodeIdentifier({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' }, ts);
console.log(id.toString('hex'));
try { for await (const d of a.find(1, '1.2.840.10008.5.1.4.1.2.2.1', id)) console.log('answer', d.length); } catch (e) { console.log('err', e.message); }
await a.release();
