import { Routes, Route } from 'react-router';
import { ReviewQueue } from './ReviewQueue';
import { ReviewReportPage } from './ReviewReportPage';

/** The reviewer's pages (one lazily loaded chunk): the queue and a version's report. */
export default function ReviewerPages() {
  return (
    <Routes>
      <Route index element={<ReviewQueue />} />
      <Route path=":plugin/:version" element={<ReviewReportPage />} />
    </Routes>
  );
}
