// Half 2 of the corpus of student variants (corpus-run.ts): the halves run side by side in the suite.
import { describeCorpusHalf } from './corpus-run.ts';

describeCorpusHalf(2);
