/**
 * Every web product and imaging API opendoor knows, in the order the HTTP probe asks them: the
 * specific before the general (Orthanc's and dcm4chee-arc's REST APIs before DICOMweb, which both serve),
 * plain patient-list pages only where no counting API answered, WADO-URI last. A new product is
 * one adapter file (adapter.ts's interface) and one line here.
 */
import type { WebAdapter } from './adapter.js';
import { dcm4cheeArc } from './dcm4chee.js';
import { dicomWeb } from './dicomweb.js';
import { orthancRest } from './orthanc.js';
import { patientList } from './patientList.js';
import { wadoUri } from './wadoUri.js';

export const WEB_ADAPTERS: readonly WebAdapter[] = [orthancRest, dcm4cheeArc, dicomWeb, patientList, wadoUri];
